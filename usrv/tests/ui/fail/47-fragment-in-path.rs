use usrv::route;

#[route("/docs#install")]
fn docs() -> (u16,) {
    (200,)
}

fn main() {}
