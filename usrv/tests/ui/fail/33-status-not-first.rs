use usrv::route;

#[route("/pair")]
fn pair() -> (&'static str, u16) {
    ("ok", 200)
}

fn main() {}
