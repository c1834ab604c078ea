use usrv::route;

#[route("/users/<int:user_id>")]
fn user(usr_id: i64) -> (u16, i64) {
    (200, usr_id)
}

fn main() {}
