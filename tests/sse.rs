//! Server-sent events over real sockets, read by a client as they come:
//! fields and multi-line data, keep-alive comments, the end of the stream,
//! an idle stream that outlives the slowloris guard, HTTP/2, many
//! subscribers of one channel.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::streams::{http1, http2, open1, open2, Events};
use common::{req, TestServer};
use futures_util::stream::{self, StreamExt};
use tokio::sync::broadcast;
use usrv::sse::{Event, Sse};
use usrv::{route, IntoResponse, Method, Response, State};

/// What `/events` relays: each message published here is one event.
struct Feed(broadcast::Sender<String>);

#[route("/events")]
fn events(feed: State<Feed>) -> Response {
    let receiver = feed.0.subscribe();
    let events = stream::unfold((receiver, 0u64), |(mut receiver, mut id)| async move {
        loop {
            match receiver.recv().await {
                Ok(text) => {
                    id += 1;
                    let event = Event::default().event("news").data(text).id(id.to_string());
                    return Some((event, (receiver, id)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).into_response()
}

/// Nothing but keep-alive comments.
#[route("/quiet")]
fn quiet() -> Response {
    Sse::new(stream::pending::<Event>())
        .keep_alive(Duration::from_millis(200))
        .into_response()
}

/// Three events, then the end.
#[route("/three")]
fn three() -> Response {
    let events = stream::iter(1..=3).map(|i| {
        Event::default()
            .data(format!("event {i}"))
            .retry(Duration::from_secs(2))
    });
    Sse::new(events).into_response()
}

/// A JSON event, then (once it is out) a broken one.
#[route("/broken")]
fn broken() -> Response {
    let events = stream::iter([0, 1]).then(|i| async move {
        if i == 0 {
            return Event::default().json_data(&serde_json::json!({"a": [1, 2]}));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(Event::default().event("bad\nname"))
    });
    Sse::new(events).into_response()
}

fn get(path: &str) -> hyper::Request<Bytes> {
    req(Method::GET, path).body(Bytes::new()).unwrap()
}

async fn start() -> (TestServer, broadcast::Sender<String>) {
    let (sender, _) = broadcast::channel(16);
    let feed = Feed(sender.clone());
    let server = TestServer::with(|server| server.state(feed)).await;
    (server, sender)
}

/// Publishes once somebody listens (the route subscribes when it runs).
async fn publish(sender: &broadcast::Sender<String>, listeners: usize, text: &str) {
    tokio::time::timeout(common::LIMIT, async {
        while sender.receiver_count() < listeners {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the subscribers arrive");
    sender.send(text.to_owned()).expect("somebody listens");
}

#[tokio::test]
async fn events_arrive_as_they_are_published() {
    let (server, sender) = start().await;
    let mut h1 = http1(server.addr).await;
    let response = open1(&mut h1, get("/events")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    let mut events = Events::new(response.into_body());

    publish(&sender, 1, "first").await;
    assert_eq!(
        events.next().await.unwrap(),
        ["event: news", "data: first", "id: 1"]
    );
    // Each event is read before the next one exists.
    publish(&sender, 1, "line one\nline two\r\nline three").await;
    assert_eq!(
        events.next().await.unwrap(),
        [
            "event: news",
            "data: line one",
            "data: line two",
            "data: line three",
            "id: 2"
        ]
    );
}

#[tokio::test]
async fn a_finite_stream_ends_the_response() {
    let (server, _sender) = start().await;
    let mut h1 = http1(server.addr).await;
    let response = open1(&mut h1, get("/three")).await;
    let mut events = Events::new(response.into_body());
    for i in 1..=3 {
        assert_eq!(
            events.next().await.unwrap(),
            [format!("data: event {i}"), "retry: 2000".to_owned()]
        );
    }
    assert_eq!(events.next().await, None);
}

#[tokio::test]
async fn keep_alive_comments_fill_the_silence() {
    let (server, _sender) = start().await;
    let mut h1 = http1(server.addr).await;
    let response = open1(&mut h1, get("/quiet")).await;
    let mut events = Events::new(response.into_body());
    for _ in 0..3 {
        assert_eq!(events.next().await.unwrap(), [":"]);
    }
}

/// The test servers close a connection that sends no request head for
/// 1 s; a response waiting for its next event is not such a connection.
async fn idle_stream_outlives_the_header_timeout(
    configure: impl FnOnce(usrv::Server) -> usrv::Server,
) {
    let (sender, _) = broadcast::channel(16);
    let feed = Feed(sender.clone());
    let server = TestServer::with(|server| configure(server.state(feed))).await;
    let mut h1 = http1(server.addr).await;
    let response = open1(&mut h1, get("/events")).await;
    let mut events = Events::new(response.into_body());
    publish(&sender, 1, "before").await;
    assert_eq!(events.next().await.unwrap()[1], "data: before");
    tokio::time::sleep(common::HEADER_TIMEOUT * 3).await;
    publish(&sender, 1, "after").await;
    assert_eq!(events.next().await.unwrap()[1], "data: after");
}

#[tokio::test]
async fn an_idle_stream_outlives_the_header_timeout() {
    idle_stream_outlives_the_header_timeout(|server| server).await;
}

#[tokio::test]
async fn an_idle_stream_outlives_the_header_timeout_under_a_layer() {
    idle_stream_outlives_the_header_timeout(|server| {
        server.layer(tower::util::MapResponseLayer::new(
            |mut response: hyper::Response<_>| {
                response
                    .headers_mut()
                    .insert("x-layer", hyper::header::HeaderValue::from_static("yes"));
                response
            },
        ))
    })
    .await;
}

/// On HTTP/2 too: a connection whose only stream waits for its next event
/// is not idle (a peer that stops reading is; see tests/hostile.rs).
#[tokio::test]
async fn an_idle_stream_over_http2_outlives_the_idle_timeout() {
    let (server, sender) = start().await;
    let mut h2 = http2(server.addr).await;
    let response = open2(&mut h2, get("/events")).await;
    let mut events = Events::new(response.into_body());
    publish(&sender, 1, "before").await;
    assert_eq!(events.next().await.unwrap()[1], "data: before");
    tokio::time::sleep(common::IDLE_TIMEOUT * 3).await;
    publish(&sender, 1, "after").await;
    assert_eq!(events.next().await.unwrap()[1], "data: after");
}

#[tokio::test]
async fn a_broken_event_cuts_the_stream_short() {
    let (server, _sender) = start().await;
    let mut h1 = http1(server.addr).await;
    let mut response = open1(&mut h1, get("/broken")).await;
    let first = common::streams::next_data(response.body_mut())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, "data: {\"a\":[1,2]}\n\n");
    assert!(common::streams::read_all(response.body_mut())
        .await
        .is_err());
}

#[tokio::test]
async fn events_over_http2_and_to_many_subscribers() {
    let (server, sender) = start().await;
    let mut h2 = http2(server.addr).await;
    let mut streams = Vec::new();
    for _ in 0..20 {
        let response = open2(&mut h2, get("/events")).await;
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        streams.push(Events::new(response.into_body()));
    }
    let mut h1 = http1(server.addr).await;
    streams.push(Events::new(
        open1(&mut h1, get("/events")).await.into_body(),
    ));
    publish(&sender, 21, "to all").await;
    for events in &mut streams {
        assert_eq!(
            events.next().await.unwrap(),
            ["event: news", "data: to all", "id: 1"]
        );
    }
}
