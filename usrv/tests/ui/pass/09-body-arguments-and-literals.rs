// Body viewers beside a decoder, body viewers on GET, and literals written
// as clients send them. The generated code raises no warning.
#![deny(warnings)]

use serde::Deserialize;
use usrv::{route, Bytes, Json, Kwargs, Request};

#[derive(Deserialize)]
struct Todo {
    title: String,
}

#[route("/todos", methods = ["POST", "PUT"])]
fn create(todo: Json<Todo>, raw: Bytes, request: Request, rest: Kwargs) -> (u16, String, usize) {
    let _ = (request, rest);
    (201, todo.0.title, raw.len())
}

// `Request` and `Kwargs` show the whole request, so they are fine on GET.
#[route("/inspect")]
fn inspect(request: Request, rest: Kwargs) -> (u16, String, usize) {
    (200, request.uri().to_string(), rest.iter().count())
}

// A body on GET, read on purpose.
#[route("/search", methods = ["GET"])]
#[allow(deprecated)]
fn search(query: Bytes) -> (u16, usize) {
    (200, query.len())
}

#[route("/a-z_0.9~/!$&'()*+,;=/:@/caf%C3%A9/hello%20world/<name>")]
fn literals(name: String) -> (u16, String) {
    (200, name)
}

fn main() {}
