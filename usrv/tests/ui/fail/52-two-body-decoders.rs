use serde::Deserialize;
use usrv::{route, Bytes, Form, Json, Kwargs, Multipart};

#[derive(Deserialize)]
struct Todo {
    title: String,
}

// `Bytes` and `Kwargs` only look at the body and go with a decoder; a
// second decoder is an error naming the first.
#[route("/todos", methods = ["POST"])]
fn create(
    todo: Json<Todo>,
    raw: Bytes,
    form: Form<Todo>,
    rest: Kwargs,
    upload: Multipart,
) -> (u16, String) {
    let _ = (raw, form, rest, upload);
    (201, todo.0.title)
}

fn main() {}
