use usrv::route;

#[route("/users", methods = [])]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
