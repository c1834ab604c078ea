// Every documented return kind.
use serde::Serialize;
use usrv::{route, Json, Rejection, Response, StatusCode};

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
}

#[route("/t0")]
fn t0() -> (u16,) {
    (204,)
}

#[route("/t0-status")]
fn t0_status() -> (StatusCode,) {
    (StatusCode::NO_CONTENT,)
}

#[route("/t1")]
fn t1() -> (u16, User) {
    (
        200,
        User {
            id: 1,
            name: "a".into(),
        },
    )
}

#[route("/t1-status")]
fn t1_status() -> (StatusCode, Vec<u8>) {
    (StatusCode::OK, vec![1, 2, 3])
}

#[route("/t2")]
fn t2() -> (u16, i64, String) {
    (200, 5, "test".into())
}

#[route("/t2-status")]
async fn t2_status() -> (StatusCode, Option<i64>, serde_json::Value) {
    (StatusCode::CREATED, None, serde_json::json!({ "a": 1 }))
}

#[route("/t12")]
#[allow(clippy::type_complexity)]
fn t12() -> (
    u16,
    u8,
    u16,
    u32,
    u64,
    i8,
    i16,
    i32,
    i64,
    f32,
    f64,
    bool,
    String,
) {
    (
        200,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9.0,
        10.0,
        true,
        "twelve".into(),
    )
}

#[route("/t12-status")]
#[allow(clippy::type_complexity)]
fn t12_status() -> (
    StatusCode,
    &'static str,
    char,
    (),
    Vec<i64>,
    Option<bool>,
    [u8; 2],
    (i64, i64),
    Json<i64>,
    User,
    serde_json::Value,
    std::collections::BTreeMap<String, i64>,
    Box<str>,
) {
    (
        StatusCode::OK,
        "a",
        'b',
        (),
        vec![1],
        Some(true),
        [1, 2],
        (3, 4),
        Json(5),
        User {
            id: 6,
            name: "f".into(),
        },
        serde_json::Value::Null,
        Default::default(),
        "g".into(),
    )
}

#[route("/json")]
fn json() -> Json<User> {
    Json(User {
        id: 1,
        name: "a".into(),
    })
}

#[route("/string")]
fn string() -> String {
    "text".to_owned()
}

#[route("/str")]
fn str_static() -> &'static str {
    "text"
}

#[route("/unit")]
fn unit() {}

#[route("/unit-explicit")]
#[allow(clippy::unused_unit)]
fn unit_explicit() -> () {}

#[route("/status")]
fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[route("/result/<int:id>")]
fn result(id: i64) -> Result<(u16, i64), Rejection> {
    if id < 0 {
        return Err(Rejection::not_found("no such id"));
    }
    Ok((200, id))
}

#[route("/result-async/<int:id>")]
async fn result_async(id: i64) -> Result<Json<i64>, Rejection> {
    Ok(Json(id))
}

#[route("/result-both")]
fn result_both() -> Result<String, StatusCode> {
    Err(StatusCode::IM_A_TEAPOT)
}

#[route("/rejection")]
fn rejection() -> Rejection {
    Rejection::forbidden("no")
}

#[route("/response")]
fn response() -> Response {
    let mut response = Response::new(usrv::Body::from("raw"));
    *response.status_mut() = StatusCode::CREATED;
    response
}

#[route("/response-async")]
async fn response_async() -> Response {
    Response::new(usrv::Body::from(String::from("raw")))
}

#[route("/impl-trait")]
fn impl_trait() -> impl usrv::IntoResponse {
    (200u16, "opaque")
}

#[route("/impl-trait-async")]
async fn impl_trait_async() -> impl usrv::IntoResponse {
    StatusCode::OK
}

fn main() {}
