use usrv::route;

#[route("/users", methods = ["PSOT"], encrpyted)]
fn users() -> (u16,) {
    (200,)
}

fn main() {}
