// Each route defines the type named like its function: one per function.
use usrv::route;

#[route("/a")]
#[route("/b")]
fn both() -> &'static str {
    "both"
}

fn main() {}
