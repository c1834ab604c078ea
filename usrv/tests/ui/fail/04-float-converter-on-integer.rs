use usrv::route;

#[route("/scale/<float:factor>")]
fn scale(factor: i64) -> (u16, i64) {
    (200, factor)
}

fn main() {}
