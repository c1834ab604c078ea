use usrv::route;

#[route("/users/<>")]
fn user() -> (u16,) {
    (200,)
}

fn main() {}
