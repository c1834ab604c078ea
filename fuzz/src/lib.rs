//! What the request fuzz targets share: routes of every kind (path
//! converters, query values, `Kwargs`, JSON, multipart, signed, sealed)
//! and one request through the whole pipeline, [`App::handle`], whose
//! answer to a client's request must never be a 5xx.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};
use usrv::{route, App, Identity, Json, Kwargs, Multipart};

#[route("/")]
fn index() -> &'static str {
    "index"
}

#[route("/users/<int:id>")]
fn user(id: i64) -> String {
    id.to_string()
}

#[route("/users/<int:id>/posts/<slug>")]
fn post(id: i64, slug: String, page: Option<u32>) -> Json<Value> {
    Json(json!([id, slug, page]))
}

#[route("/f/<float:x>")]
fn float(x: f64) -> String {
    x.to_string()
}

#[route("/files/<path:rest>")]
fn files(rest: String) -> String {
    rest
}

/// Echoes its path parameter: what `percent_decoding` checks.
#[route("/p/<text>")]
fn text(text: String) -> String {
    text
}

/// Echoes the query value `q`, decoded.
#[route("/q")]
fn query(q: Option<String>, n: Vec<i32>, flag: Option<bool>, c: Option<char>) -> Json<Value> {
    Json(json!([q, n, flag, c]))
}

#[route("/kw", methods = ["GET", "POST"])]
fn kw(kwargs: Kwargs) -> Json<Value> {
    Json(serde_json::to_value(&kwargs).expect("kwargs are JSON"))
}

#[route("/json", methods = ["POST"])]
fn body(value: Json<Value>) -> Json<Value> {
    value
}

#[route("/upload", methods = ["POST"])]
fn upload(form: Multipart) -> Json<Value> {
    let parts: Vec<Value> = form
        .parts()
        .iter()
        .map(|part| json!([part.name, part.filename, part.data.len()]))
        .collect();
    Json(Value::Array(parts))
}

#[route("/whoami", methods = ["POST"])]
fn whoami(identity: Option<Identity>, body: Bytes) -> String {
    format!("{} {}", identity.is_some(), body.len())
}

#[route("/vault", methods = ["POST"], encrypted)]
fn vault(body: Bytes) -> Bytes {
    body
}

/// The application of these routes, built once.
pub fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::new().expect("the fuzz routes build"))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    })
}

/// Serves `request`; panics (a finding) on a 5xx. Returns the status and
/// the body.
pub fn serve(request: http::Request<Full<Bytes>>) -> (u16, Bytes) {
    let response = runtime().block_on(app().handle(request));
    let status = response.status().as_u16();
    assert!(status < 500, "{status} for a client's request");
    let body = response
        .into_body()
        .into_bytes()
        .expect("these routes answer bodies in memory");
    (status, body)
}
