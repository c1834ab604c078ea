use usrv::route;

#[route("/users", sigend)]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
