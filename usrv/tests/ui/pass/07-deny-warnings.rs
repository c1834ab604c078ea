// The generated code raises no warning and needs no `unsafe`.
#![deny(warnings)]
#![forbid(unsafe_code)]

use usrv::{route, Json, Kwargs, Rejection, StatusCode};

#[route("/<int:a>/<b>")]
fn do_test(a: i64, b: String) -> (u16, i64, String) {
    (200, a, b)
}

#[route("/float/<float:x>", methods = ["GET", "POST"], signed)]
async fn float(x: f64, scale: Option<f64>) -> Result<Json<f64>, Rejection> {
    Ok(Json(x * scale.unwrap_or(1.0)))
}

#[route("/files/<path:rest>", blocking, encrypted)]
fn files(rest: String, rest_kwargs: Kwargs) -> (StatusCode, String, usize) {
    (StatusCode::OK, rest, rest_kwargs.iter().count())
}

#[route("/unit")]
fn unit() {}

#[route("/none")]
fn none() -> (u16,) {
    (204,)
}

fn main() {}
