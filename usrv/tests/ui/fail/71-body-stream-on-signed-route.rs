// A signature covers the hash of the whole body and a sealed body is one
// message: a route that must check them cannot stream its body.
use usrv::{route, BodyStream, Identity};

#[route("/signed", methods = ["POST"], signed)]
fn signed(body: BodyStream) -> (u16,) {
    let _ = body;
    (200,)
}

#[route("/sealed", methods = ["POST"], encrypted)]
fn sealed(body: usrv::BodyStream) -> (u16,) {
    let _ = body;
    (200,)
}

#[route("/mine", methods = ["POST"])]
fn mine(sender: Identity, body: BodyStream) -> (u16, String) {
    let _ = body;
    (200, sender.to_string())
}

fn main() {}
