use usrv::route;

#[route("/users//<int:id>")]
fn user(id: i64) -> (u16, i64) {
    (200, id)
}

fn main() {}
