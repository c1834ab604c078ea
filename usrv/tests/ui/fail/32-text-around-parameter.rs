use usrv::route;

#[route("/files/report-<int:year>.pdf")]
fn report(year: i32) -> (u16, i32) {
    (200, year)
}

fn main() {}
