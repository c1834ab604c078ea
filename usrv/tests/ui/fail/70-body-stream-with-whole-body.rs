// A streamed body is read once, as it arrives: nothing else may read it
// whole, and it cannot be streamed twice.
use serde::Deserialize;
use usrv::{route, BodyStream, Bytes, Json};

#[derive(Deserialize)]
struct Meta {
    name: String,
}

#[route("/upload", methods = ["POST"])]
fn upload(meta: Json<Meta>, body: BodyStream, raw: Bytes, again: BodyStream) -> (u16, String) {
    let _ = (body, raw, again);
    (200, meta.0.name)
}

fn main() {}
