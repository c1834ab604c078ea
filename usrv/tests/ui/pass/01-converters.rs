// Every converter, on every type it fits, and `<name>` on any `FromParam`.
use std::path::PathBuf;
use std::sync::Arc;

use usrv::{route, FromParam};

#[route("/int/<int:a>/<int:b>/<int:c>/<int:d>/<int:e>/<int:f>")]
fn ints(a: i8, b: i16, c: i32, d: i64, e: i128, f: isize) -> (u16, i64) {
    (
        200,
        a as i64 + b as i64 + c as i64 + d + e as i64 + f as i64,
    )
}

#[route("/uint/<int:a>/<int:b>/<int:c>/<int:d>/<int:e>/<int:f>")]
fn uints(a: u8, b: u16, c: u32, d: u64, e: u128, f: usize) -> (u16, u64) {
    (
        200,
        a as u64 + b as u64 + c as u64 + d + e as u64 + f as u64,
    )
}

#[route("/float/<float:x>/<float:y>")]
fn floats(x: f32, y: f64) -> (u16, f64) {
    (200, x as f64 + y)
}

#[route("/str/<str:a>/<str:b>/<str:c>")]
fn strings(a: String, b: Box<str>, c: Arc<str>) -> (u16, String) {
    (200, format!("{a}{b}{c}"))
}

#[route("/path/<path:rest>")]
fn path_string(rest: String) -> (u16, String) {
    (200, rest)
}

#[route("/pathbuf/<path:rest>")]
fn path_buf(rest: PathBuf) -> (u16, String) {
    (200, rest.display().to_string())
}

enum Color {
    Red,
    Green,
}

impl FromParam for Color {
    fn from_param(value: &str) -> Option<Self> {
        match value {
            "red" => Some(Color::Red),
            "green" => Some(Color::Green),
            _ => None,
        }
    }
}

#[route("/any/<a>/<b>/<c>/<d>/<e>/<color>")]
fn any(a: String, b: i64, c: f64, d: bool, e: char, color: Color) -> (u16, String) {
    let color = match color {
        Color::Red => "red",
        Color::Green => "green",
    };
    (200, format!("{a}{b}{c}{d}{e}{color}"))
}

#[route("/")]
fn root() -> &'static str {
    "root"
}

#[route("/trailing/slash/")]
fn trailing() -> &'static str {
    "trailing"
}

#[route("/literal/<a>/middle/<int:b>/")]
fn mixed(a: String, b: u32) -> (u16, String, u32) {
    (200, a, b)
}

fn main() {}
