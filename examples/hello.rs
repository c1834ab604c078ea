//! The original package's README examples, answered the same way.
//!
//! ```text
//! cargo run --example hello
//! curl 'http://127.0.0.1:5000/test?b=12&a=Paris'   # ["Paris","12"]
//! curl http://127.0.0.1:5000/5/test                # ["test",5]
//! curl 'http://127.0.0.1:5000/kwargs?a=Paris&b=12&unexpected=there'
//! curl 'http://127.0.0.1:5000/vargs?b=12&a=Paris&unexpected=there'  # ["Paris","12",["there","GET",{...},null]]
//! ```
use usrv::{route, Args, Kwargs};

/// `GET /test` → `[null,null]`; `GET /test?b=12&a=Paris` → `["Paris","12"]`.
#[route("/test")]
pub fn do_test(a: Option<String>, b: Option<String>) -> (u16, Option<String>, Option<String>) {
    (200, a, b)
}

/// The path example: `GET /5/test` → `["test",5]`.
#[route("/<int:b>/<a>")]
pub fn from_path(a: String, b: i64) -> (u16, String, i64) {
    (200, a, b)
}

/// The catch-all (`**kwargs`): the named values, then everything else.
#[route("/kwargs", methods = ["GET", "POST"])]
pub fn kwargs(
    a: Option<String>,
    b: Option<String>,
    rest: Kwargs,
) -> (u16, Option<String>, Option<String>, Kwargs) {
    (200, a, b, rest)
}

/// The positional catch-all (`*args`): the named values, then the other
/// query values in order, the method, the headers and the body.
#[route("/vargs", methods = ["GET", "POST"])]
pub fn vargs(
    a: Option<String>,
    b: Option<String>,
    rest: Args,
) -> (u16, Option<String>, Option<String>, Args) {
    (200, a, b, rest)
}

/// Logs its start-up line and one line per request (`USRV_LOG=warn` to quiet it).
#[tokio::main]
async fn main() -> Result<(), usrv::Error> {
    usrv::serve().await
}
