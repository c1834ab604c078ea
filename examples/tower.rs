//! usrv's routes inside an axum application, under a tower-http layer: the
//! original's WSGI `uApp`, as a `tower::Service`.
//!
//! ```text
//! cargo run --example tower
//! curl -i http://127.0.0.1:5000/axum/health    # axum's own route
//! curl -i http://127.0.0.1:5000/hello/world    # usrv: "hello world"
//! curl -i http://127.0.0.1:5000/add/2/3        # usrv: 5
//! curl -i http://127.0.0.1:5000/add/9223372036854775807/1  # usrv: 400, the sum overflows
//! ```
//!
//! Every response carries `x-powered-by: usrv+axum`, set by the layer.
use axum::http::{HeaderName, HeaderValue};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use usrv::{route, Rejection};

#[route("/hello/<name>")]
fn hello(name: String) -> String {
    format!("hello {name}")
}

/// The sum of two 64-bit integers; 400 when it does not fit in one.
#[route("/add/<int:a>/<int:b>")]
fn add(a: i64, b: i64) -> Result<(u16, i64), Rejection> {
    match a.checked_add(b) {
        Some(sum) => Ok((200, sum)),
        None => Err(Rejection::bad_request("the sum overflows a 64-bit integer")),
    }
}

/// The axum application: its own routes, usrv's for everything else.
fn app() -> Result<axum::Router, usrv::Error> {
    Ok(axum::Router::new()
        .route("/axum/health", get(|| async { "ok" }))
        .fallback_service(usrv::App::new()?)
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-powered-by"),
            HeaderValue::from_static("usrv+axum"),
        )))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "usrv=info".into()),
        )
        .init();
    let addr = std::env::var("USRV_ADDR").unwrap_or_else(|_| usrv::DEFAULT_ADDR.to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("axum + usrv on http://{}", listener.local_addr()?);
    axum::serve(listener, app()?)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
