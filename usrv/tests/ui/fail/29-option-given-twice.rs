use usrv::route;

#[route("/admin", signed, encrypted, signed)]
fn admin() -> (u16,) {
    (200,)
}

fn main() {}
