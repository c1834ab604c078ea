use usrv::route;

#[route("/sum")]
fn sum((a, b): (i64, i64)) -> (u16, i64) {
    (200, a + b)
}

fn main() {}
