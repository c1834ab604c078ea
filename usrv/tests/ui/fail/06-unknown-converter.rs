use usrv::route;

#[route("/users/<uuid:id>")]
fn user(id: String) -> (u16, String) {
    (200, id)
}

fn main() {}
