// Every documented argument kind, in sync and async functions.
use serde::{Deserialize, Serialize};
use usrv::{
    route, Bytes, Form, HeaderMap, Identity, Json, Kwargs, Method, Multipart, Request, Uri,
};

#[derive(Deserialize, Serialize)]
struct Todo {
    title: String,
    done: bool,
}

#[route("/query")]
#[allow(clippy::too_many_arguments)]
fn query(
    s: String,
    i: i64,
    u: u8,
    f: f64,
    b: bool,
    c: char,
    o: Option<String>,
    oi: Option<i64>,
    v: Vec<String>,
    vi: Vec<u32>,
) -> (u16, String) {
    (200, format!("{s}{i}{u}{f}{b}{c}{o:?}{oi:?}{v:?}{vi:?}"))
}

#[route("/path-and-query/<int:id>")]
fn path_and_query(id: i64, verbose: Option<bool>) -> (u16, i64, Option<bool>) {
    (200, id, verbose)
}

#[route("/json", methods = ["POST"])]
fn json(todo: Json<Todo>) -> (u16, Json<Todo>) {
    (201, todo)
}

#[route("/json-value", methods = ["POST"])]
async fn json_value(value: Json<serde_json::Value>) -> Json<serde_json::Value> {
    value
}

#[route("/form", methods = ["POST"])]
fn form(form: Form<Todo>) -> (u16, String, bool) {
    let Form(todo) = form;
    (200, todo.title, todo.done)
}

#[route("/upload", methods = ["POST"])]
fn upload(form: Multipart) -> (u16, Vec<String>, usize) {
    let names = form.parts().iter().map(|p| p.name.clone()).collect();
    let size = form.get("file").map_or(0, |p| p.data.len());
    (200, names, size)
}

#[route("/bytes", methods = ["POST"])]
fn bytes(body: Bytes) -> (u16, usize) {
    (200, body.len())
}

#[route("/head")]
fn head(headers: HeaderMap, method: Method, uri: Uri) -> (u16, usize, String, String) {
    (200, headers.len(), method.to_string(), uri.to_string())
}

#[route("/whoami", signed)]
fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.to_string())
}

#[route("/maybe")]
fn maybe(sender: Option<Identity>) -> (u16, Option<String>) {
    (200, sender.map(|s| s.to_string()))
}

#[route("/kwargs/<int:id>")]
fn kwargs(id: i64, a: Option<String>, rest: Kwargs) -> (u16, i64, Option<String>, Kwargs) {
    (200, id, a, rest)
}

#[route("/request", methods = ["POST"])]
async fn request(request: Request) -> (u16,) {
    let _ = request;
    (200,)
}

#[route("/everything/<int:id>", methods = ["POST"], blocking)]
fn everything(
    id: i64,
    q: Option<String>,
    body: Json<Todo>,
    headers: HeaderMap,
    sender: Option<Identity>,
) -> (u16, i64, Option<String>, String, usize, bool) {
    (200, id, q, body.0.title, headers.len(), sender.is_some())
}

fn main() {}
