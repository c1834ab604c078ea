// A streamed body on a route that answers only GET is a warning, like any
// body argument there; `deny(warnings)` turns it into an error to show it.
#![deny(warnings)]

use usrv::{route, BodyStream};

#[route("/upload")]
fn upload(body: BodyStream) -> (u16, u64) {
    (200, body.received())
}

fn main() {}
