use usrv::route;

#[route("/users/<int:id>")]
fn user(id: String) -> (u16, String) {
    (200, id)
}

fn main() {}
