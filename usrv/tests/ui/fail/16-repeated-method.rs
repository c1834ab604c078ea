use usrv::route;

#[route("/users", methods = ["GET", "POST", "get"])]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
