//! The route table's cost per lookup, among 10 and among 1,000 routes.
//!
//! ```text
//! cargo bench -p usrv --bench routing
//! cargo bench -p usrv --bench routing -- --quick   # shorter
//! ```
//!
//! Each table holds routes shaped like `/r{i}/<int:id>/<name>` plus a few
//! nested literal ones (`/api/v1/users/me` beside `/api/v1/users/<int:id>`,
//! `/static/<path:file>`). Measured:
//! - `find`: `Router::find` of `GET /r{i}/42/alice` (i in the middle of
//!   the table), the raw parameters recorded;
//! - `find_extract`: the same, then the parameters parsed as the handler's
//!   arguments (`i64` and `String` through `FromParam`), as a request does;
//! - `find_nested`: the literal route `/api/v1/users/me`, beside a parameter;
//! - `miss`: a path that no route matches (404).
//!
//! The trie makes a lookup nearly independent of the table size: the
//! 1,000-route figures should stay within 1.5x of the 10-route ones. After
//! criterion's report, the bench times both tables itself and prints the
//! ratio (`USRV_ROUTING_NO_RATIO=1` skips that).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use usrv::__private::{Ctx, MethodSet, Reply, Route};
use usrv::routing::{Found, Params, Router};
use usrv::{FromParam, Method, Rejection};

/// The router never calls a route.
fn never_called(_: &Ctx<'_>) -> Result<Reply, Rejection> {
    unreachable!("the router never calls a route")
}

/// A `'static` route from a pattern, as `#[route]` would register it.
fn route(pattern: String) -> &'static Route {
    let pattern: &'static str = Box::leak(pattern.into_boxed_str());
    Route::leaked(
        "routing",
        "bench",
        pattern,
        MethodSet::from_bits(1),
        never_called,
    )
}

/// The nested literal routes every table has.
const NESTED: [&str; 4] = [
    "/api/v1/users/me",
    "/api/v1/users/<int:id>",
    "/api/v1/users/<int:id>/posts/<int:post>",
    "/static/<path:file>",
];

/// A table of `size` routes: the nested ones and `/r{i}/<int:id>/<name>`.
fn table(size: usize) -> Router {
    let routes = NESTED
        .iter()
        .map(|p| route((*p).to_owned()))
        .chain((0..size - NESTED.len()).map(|i| route(format!("/r{i}/<int:id>/<name>"))));
    let router = Router::new(routes).expect("no conflicts");
    assert_eq!(router.len(), size);
    router
}

/// The path looked up in a table: a parameterised route in its middle.
fn target(size: usize) -> String {
    format!("/r{}/42/alice", (size - NESTED.len()) / 2)
}

fn find(router: &Router, path: &str) -> usize {
    let mut params = Params::new();
    match router.find(&Method::GET, path, &mut params) {
        Found::Route(route) => route.line as usize + params.len(),
        _ => 0,
    }
}

fn find_extract(router: &Router, path: &str) -> (i64, String) {
    let mut params = Params::new();
    let Found::Route(_) = router.find(&Method::GET, path, &mut params) else {
        panic!("{path} has a route");
    };
    let (Some(id), Some(name), 2) = (params.get(0), params.get(1), params.len()) else {
        panic!("two parameters");
    };
    (
        i64::from_param(id).expect("an integer"),
        String::from_param(name).expect("a string"),
    )
}

fn benches(c: &mut Criterion) {
    let sizes = [10, 1000];
    let tables: Vec<(usize, Router, String)> = sizes
        .iter()
        .map(|&size| (size, table(size), target(size)))
        .collect();
    for (_, router, path) in &tables {
        assert_eq!(find_extract(router, path), (42, "alice".to_owned()));
        let mut params = Params::new();
        assert!(matches!(
            router.find(&Method::GET, "/api/v1/users/me", &mut params),
            Found::Route(r) if r.pattern == "/api/v1/users/me"
        ));
        assert!(matches!(
            router.find(&Method::GET, "/nope/1/2", &mut params),
            Found::NotFound
        ));
    }

    let mut group = c.benchmark_group("find");
    for (size, router, path) in &tables {
        group.bench_with_input(BenchmarkId::from_parameter(size), path, |b, path| {
            b.iter(|| find(black_box(router), black_box(path)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("find_extract");
    for (size, router, path) in &tables {
        group.bench_with_input(BenchmarkId::from_parameter(size), path, |b, path| {
            b.iter(|| find_extract(black_box(router), black_box(path)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("find_nested");
    for (size, router, _) in &tables {
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| find(black_box(router), black_box("/api/v1/users/me")))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("miss");
    for (size, router, _) in &tables {
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| find(black_box(router), black_box("/nope/1/2")))
        });
    }
    group.finish();
}

/// Nanoseconds per `find_extract`: the best of 15 batches (the minimum is
/// what a busy machine disturbs least).
fn best_ns(router: &Router, path: &str) -> f64 {
    let iterations = 200_000u32;
    (0..15)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(find_extract(black_box(router), black_box(path)));
            }
            started.elapsed()
        })
        .min()
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
        * 1e9
        / f64::from(iterations)
}

/// The 1,000-route table against the 10-route one, measured the same way
/// and interleaved.
fn ratio() {
    let (small, large) = (table(10), table(1000));
    let (small_path, large_path) = (target(10), target(1000));
    let mut small_ns = f64::INFINITY;
    let mut large_ns = f64::INFINITY;
    for _ in 0..3 {
        small_ns = small_ns.min(best_ns(&small, &small_path));
        large_ns = large_ns.min(best_ns(&large, &large_path));
    }
    println!(
        "find_extract: {small_ns:.1} ns among 10 routes, {large_ns:.1} ns among 1,000 routes: {:.2}x (limit 1.5x)",
        large_ns / small_ns
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    // `cargo test --benches` runs this binary in test mode: skip the timing.
    let testing = std::env::args().any(|a| a == "--test" || a == "--list");
    if !testing && std::env::var_os("USRV_ROUTING_NO_RATIO").is_none() {
        ratio();
    }
}
