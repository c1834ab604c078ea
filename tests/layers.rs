//! `Server::layer`: tower layers around the routes, over a real socket.

mod common;

use std::time::Duration;

use common::TestServer;
use tower::util::MapResponseLayer;
use usrv::client::ClientError;
use usrv::{route, Client};

#[route("/hello")]
fn hello() -> &'static str {
    "hello"
}

#[route("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

#[tokio::test]
async fn layers_wrap_every_route_in_order_and_their_errors_answer_500() {
    let server = TestServer::with(|server| {
        server
            .layer(MapResponseLayer::new(
                |mut response: usrv::http::Response<_>| {
                    response
                        .headers_mut()
                        .insert("x-inner", "1".parse().unwrap());
                    response
                },
            ))
            .layer(MapResponseLayer::new(
                |mut response: usrv::http::Response<_>| {
                    let inner_ran = response.headers().contains_key("x-inner");
                    let value = if inner_ran {
                        "after-inner"
                    } else {
                        "before-inner"
                    };
                    response
                        .headers_mut()
                        .insert("x-outer", value.parse().unwrap());
                    response
                },
            ))
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(
                200,
            )))
    })
    .await;
    let client = Client::new(&server.url()).unwrap();

    let reply = client.get("/hello").send().await.unwrap();
    assert_eq!(reply.text().unwrap(), "hello");
    assert_eq!(reply.headers()["x-inner"], "1");
    assert_eq!(reply.headers()["x-outer"], "after-inner");

    // Framework errors go through the layers too.
    match client.get("/missing").send().await {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected 404, got {other:?}"),
    }

    // The timeout layer fails: 500 with a JSON reason, and the server goes on.
    match client.get("/slow").send().await {
        Err(ClientError::Status { status, reason, .. }) => {
            assert_eq!(status, 500);
            assert_eq!(reason, "a middleware failed");
        }
        other => panic!("expected 500, got {other:?}"),
    }
    assert_eq!(client.get("/hello").send().await.unwrap().status(), 200);

    server.stop().await.unwrap();
}
