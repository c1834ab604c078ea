use usrv::route;

const USERS: &str = "/users";

#[route(USERS)]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
