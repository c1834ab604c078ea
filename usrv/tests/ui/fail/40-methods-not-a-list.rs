use usrv::route;

#[route("/users", methods = "POST")]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
