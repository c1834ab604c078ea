// A body argument on a route that answers only GET (or HEAD) is a warning;
// `deny(warnings)` turns it into an error to show it.
#![deny(warnings)]

use serde::Deserialize;
use usrv::{route, Bytes, Json, Kwargs};

#[derive(Deserialize)]
struct Todo {
    title: String,
}

#[route("/todos")]
fn create(todo: Json<Todo>, rest: Kwargs) -> (u16, String) {
    let _ = rest;
    (201, todo.0.title)
}

#[route("/raw", methods = ["GET", "HEAD"])]
fn raw(body: usrv::Bytes) -> (u16, usize) {
    (200, body.len())
}

// Silenced on purpose.
#[route("/search")]
#[allow(deprecated)]
fn search(query: Bytes) -> (u16, usize) {
    (200, query.len())
}

fn main() {}
