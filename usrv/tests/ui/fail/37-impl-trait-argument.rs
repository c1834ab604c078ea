use usrv::route;

#[route("/show/<value>")]
fn show(value: impl std::fmt::Display) -> (u16, String) {
    (200, value.to_string())
}

fn main() {}
