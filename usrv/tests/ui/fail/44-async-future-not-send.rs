use std::rc::Rc;

use usrv::route;

async fn tick() {}

// The server runs handlers on a multi-threaded runtime: an async handler's
// future must be `Send`, so it cannot hold an `Rc` across an `.await`.
#[route("/count")]
async fn count() -> String {
    let shared = Rc::new(1);
    tick().await;
    shared.to_string()
}

fn main() {}
