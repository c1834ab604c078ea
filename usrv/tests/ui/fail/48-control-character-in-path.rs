use usrv::route;

#[route("/report\t2024")]
fn report() -> (u16,) {
    (200,)
}

fn main() {}
