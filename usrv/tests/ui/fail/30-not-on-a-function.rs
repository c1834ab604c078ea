use usrv::route;

#[route("/users")]
struct Users;

fn main() {}
