use usrv::route;

#[route("/users/<1a>")]
fn user() -> (u16,) {
    (200,)
}

fn main() {}
