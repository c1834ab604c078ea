use usrv::route;

#[route("/users/<int:id>")]
fn user(name: String) -> (u16, String) {
    (200, name)
}

fn main() {}
