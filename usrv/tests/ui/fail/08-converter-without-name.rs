use usrv::route;

#[route("/users/<int:>")]
fn user() -> (u16,) {
    (200,)
}

fn main() {}
