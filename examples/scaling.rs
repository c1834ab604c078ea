//! The server of `bench/scaling.sh`: how usrv's cost per request grows with
//! the size of the route table, the number of path parameters and the
//! size of the body.
//!
//! ```text
//! cargo build --release --example scaling
//! SCALING_ROUTES=1000 USRV_WORKERS=1 target/release/examples/scaling 127.0.0.1:5000
//! curl http://127.0.0.1:5000/p0                       # null
//! curl http://127.0.0.1:5000/p3/x/y/z                 # ["x","y","z"]
//! curl http://127.0.0.1:5000/user/7/ann               # [7,"ann"]
//! curl --data-binary @file http://127.0.0.1:5000/echo # the same bytes
//! curl http://127.0.0.1:5000/r5/7/ann                 # a filler route: 200, empty
//! ```
//!
//! Routes:
//! - `GET /p0`, `GET /p1/<a>`, ... `GET /p8/<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>`:
//!   0 to 8 string path parameters, answered as JSON;
//! - `GET /user/<int:id>/<name>`, as in `examples/bench.rs`;
//! - `POST /echo`: the body (`Bytes`), answered as it came;
//! - `POST /sealed` (`encrypted`): the same for a sealed body, the reply
//!   sealed (through `usrv::Client` with `.encrypted()`,
//!   `bench/src/bin/secure-load.rs --body`);
//! - filler routes `GET /r{i}/<int:id>/<name>`, built at run time (as
//!   `usrv/benches/routing.rs` does), answering an empty 200, so that the
//!   table holds `SCALING_ROUTES` routes in all (default 10; never fewer
//!   than the 12 above). The count is printed on standard error at start.
//!
//! The address is the first argument, else `USRV_ADDR`, else
//! `127.0.0.1:5000`. `USRV_WORKERS=N` sets the number of runtime worker
//! threads (default: tokio's, one per core). No tracing subscriber is
//! installed: request logging is off. The body limit is 4 MiB, so that a
//! sealed 1 MiB body (its envelope adds up to 64 bytes) is accepted.
//! The server key is generated at start (or `USRV_KEY_FILE`).
//!
//! Not part of `tests/openapi/check.sh`: the filler routes have no API
//! description.
use usrv::__private::{Ctx, MethodSet, Reply, Route};
use usrv::{route, Bytes, IntoResponse, Rejection, StatusCode};

/// `GET /p0` → `null`.
#[route("/p0")]
fn p0() -> (u16,) {
    (200,)
}

/// `GET /p1/x` → `"x"`.
#[route("/p1/<a>")]
fn p1(a: String) -> (u16, String) {
    (200, a)
}

/// `GET /p2/x/y` → `["x","y"]`.
#[route("/p2/<a>/<b>")]
fn p2(a: String, b: String) -> (u16, String, String) {
    (200, a, b)
}

/// `GET /p3/x/y/z` → `["x","y","z"]`.
#[route("/p3/<a>/<b>/<c>")]
fn p3(a: String, b: String, c: String) -> (u16, String, String, String) {
    (200, a, b, c)
}

/// Four parameters, answered as a JSON array.
#[route("/p4/<a>/<b>/<c>/<d>")]
fn p4(a: String, b: String, c: String, d: String) -> (u16, String, String, String, String) {
    (200, a, b, c, d)
}

/// Five parameters, answered as a JSON array.
#[route("/p5/<a>/<b>/<c>/<d>/<e>")]
fn p5(
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
) -> (u16, String, String, String, String, String) {
    (200, a, b, c, d, e)
}

/// Six parameters, answered as a JSON array.
#[route("/p6/<a>/<b>/<c>/<d>/<e>/<f>")]
fn p6(
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    f: String,
) -> (u16, String, String, String, String, String, String) {
    (200, a, b, c, d, e, f)
}

/// Seven parameters, answered as a JSON array.
#[route("/p7/<a>/<b>/<c>/<d>/<e>/<f>/<g>")]
fn p7(
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    f: String,
    g: String,
) -> (u16, String, String, String, String, String, String, String) {
    (200, a, b, c, d, e, f, g)
}

/// Eight parameters, answered as a JSON array.
#[allow(clippy::too_many_arguments)]
#[route("/p8/<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>")]
fn p8(
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    f: String,
    g: String,
    h: String,
) -> (
    u16,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
) {
    (200, a, b, c, d, e, f, g, h)
}

/// `GET /user/7/ann` → `[7,"ann"]`.
#[route("/user/<int:id>/<name>")]
fn user(id: i64, name: String) -> (u16, i64, String) {
    (200, id, name)
}

/// `POST /echo`: the body, as it came (application/octet-stream).
#[route("/echo", methods = ["POST"])]
fn echo(body: Bytes) -> Bytes {
    body
}

/// `POST /sealed`: a sealed body, opened; the reply is the same bytes,
/// sealed to the sender.
#[route("/sealed", methods = ["POST"], encrypted)]
fn sealed(body: Bytes) -> Bytes {
    body
}

/// The `#[route]` functions above.
const REAL: [&Route; 12] = [
    p0::ROUTE,
    p1::ROUTE,
    p2::ROUTE,
    p3::ROUTE,
    p4::ROUTE,
    p5::ROUTE,
    p6::ROUTE,
    p7::ROUTE,
    p8::ROUTE,
    user::ROUTE,
    echo::ROUTE,
    sealed::ROUTE,
];

/// A filler route's glue: an empty 200, whatever the parameters.
fn filler_call(_: &Ctx<'_>) -> Result<Reply, Rejection> {
    Ok(Reply::Ready(StatusCode::OK.into_response()))
}

/// The filler route `GET /r{i}/<int:id>/<name>`, as `#[route]` would
/// register it (leaked: a route is `'static`).
fn filler(i: usize) -> &'static Route {
    let pattern: &'static str = Box::leak(format!("/r{i}/<int:id>/<name>").into_boxed_str());
    let get = MethodSet::of(&usrv::Method::GET);
    Route::leaked(module_path!(), "filler", pattern, get, filler_call)
}

fn main() -> Result<(), usrv::Error> {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("USRV_ADDR").ok())
        .unwrap_or_else(|| usrv::DEFAULT_ADDR.to_owned());
    let total = routes().max(REAL.len());
    let routes: Vec<&'static Route> = REAL
        .into_iter()
        .chain((0..total - REAL.len()).map(filler))
        .collect();
    eprintln!(
        "scaling: {} routes ({} fillers)",
        routes.len(),
        total - REAL.len()
    );
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = workers() {
        runtime.worker_threads(workers);
    }
    runtime.build()?.block_on(async {
        // `bind` + `run`, unlike `.await`, installs no log subscriber.
        usrv::serve()
            .routes(routes)
            .body_limit(4 << 20)
            .addr(addr)
            .bind()
            .await?
            .run()
            .await
    })
}

/// `SCALING_ROUTES`, the size of the route table (default 10).
fn routes() -> usize {
    match std::env::var("SCALING_ROUTES") {
        Err(_) => 10,
        Ok(value) => match value.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("ignoring SCALING_ROUTES={value:?}: expected a number");
                10
            }
        },
    }
}

/// `USRV_WORKERS`, when set to a positive number.
fn workers() -> Option<usize> {
    let value = std::env::var("USRV_WORKERS").ok()?;
    match value.trim().parse() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            eprintln!("ignoring USRV_WORKERS={value:?}: expected a positive number");
            None
        }
    }
}
