use usrv::route;

#[route("/static/../admin")]
fn admin() -> (u16,) {
    (200,)
}

fn main() {}
