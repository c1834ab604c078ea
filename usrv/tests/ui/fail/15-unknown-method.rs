use usrv::route;

#[route("/users", methods = ["GET", "FETCH"])]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
