use usrv::route;

#[route("/")]
fn index() -> &'static str {
    "hello"
}

fn main() {}
