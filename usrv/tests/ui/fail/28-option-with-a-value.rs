use usrv::route;

#[route("/admin", signed = true)]
fn admin() -> (u16,) {
    (200,)
}

fn main() {}
