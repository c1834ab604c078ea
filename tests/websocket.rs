//! WebSockets over real sockets, with a real WebSocket client
//! (tokio-tungstenite): text and binary echo, ping/pong, close from either
//! side, the message size limit, the handshake checks, an idle socket that
//! outlives the slowloris guard, shutdown, and the routes inside axum.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{TestServer, LIMIT};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as Wire};
use usrv::ws::{Message, WebSocketUpgrade};
use usrv::{route, Response, State};

/// What the handlers saw, for the test to check.
struct Seen(mpsc::UnboundedSender<String>);

/// Echoes text and binary messages; reports what else it saw.
#[route("/echo")]
fn echo(upgrade: WebSocketUpgrade, seen: State<Seen>) -> Response {
    let seen = seen.0.clone();
    upgrade.on_upgrade(|mut socket| async move {
        while let Some(message) = socket.recv().await {
            match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                Ok(Message::Ping(payload)) => {
                    let _ = seen.send(format!("ping {}", String::from_utf8_lossy(&payload)));
                }
                Ok(Message::Pong(_)) => {}
                Ok(Message::Close(frame)) => {
                    let code = frame.map(|frame| frame.code).unwrap_or(0);
                    let _ = seen.send(format!("close {code}"));
                }
                Err(error) => {
                    let _ = seen.send(format!("error too_large={}", error.is_too_large()));
                    break;
                }
            }
        }
        let _ = seen.send("ended".into());
    })
}

/// Messages of at most 1 KiB.
#[route("/small")]
fn small(upgrade: WebSocketUpgrade, seen: State<Seen>) -> Response {
    let seen = seen.0.clone();
    upgrade
        .max_message_size(1024)
        .on_upgrade(|mut socket| async move {
            while let Some(message) = socket.recv().await {
                match message {
                    Ok(message) => {
                        if socket.send(message).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        let _ = seen.send(format!("error too_large={}", error.is_too_large()));
                        break;
                    }
                }
            }
        })
}

/// Greets, then closes with a code of its own.
#[route("/bye")]
fn bye(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        let _ = socket.send(Message::text("hello")).await;
        let _ = socket.close(4000, "bye now").await;
        // Wait for the client's answer to the close.
        while socket.recv().await.is_some() {}
    })
}

/// Panics once upgraded.
#[route("/panics")]
fn panics(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|_socket| async move {
        panic!("a WebSocket handler that panics");
    })
}

async fn start(
    configure: impl FnOnce(usrv::Server) -> usrv::Server,
) -> (TestServer, mpsc::UnboundedReceiver<String>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let server = TestServer::with(|server| configure(server.state(Seen(sender)))).await;
    (server, receiver)
}

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: std::net::SocketAddr, path: &str) -> Client {
    let (client, response) = tokio::time::timeout(
        LIMIT,
        tokio_tungstenite::connect_async(format!("ws://{addr}{path}")),
    )
    .await
    .expect("the handshake completes in time")
    .expect("the handshake succeeds");
    assert_eq!(response.status(), 101);
    client
}

async fn next(client: &mut Client) -> Option<Result<Wire, tungstenite::Error>> {
    tokio::time::timeout(LIMIT, client.next())
        .await
        .expect("a message or the end arrives in time")
}

async fn seen(receiver: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(LIMIT, receiver.recv())
        .await
        .expect("the handler reports in time")
        .expect("the handler reports")
}

#[tokio::test]
async fn text_and_binary_messages_are_echoed() {
    let (server, _seen) = start(|s| s).await;
    let mut client = connect(server.addr, "/echo").await;
    client.send(Wire::text("hello")).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("hello")
    );
    let binary = Bytes::from((0..=255u8).collect::<Vec<_>>());
    client.send(Wire::Binary(binary.clone())).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::Binary(binary)
    );
    // Large messages within the default limit.
    let large = "é".repeat(1 << 20);
    client.send(Wire::text(large.clone())).await.unwrap();
    assert_eq!(next(&mut client).await.unwrap().unwrap(), Wire::text(large));
}

#[tokio::test]
async fn pings_are_answered_and_seen() {
    let (server, mut seen_by_server) = start(|s| s).await;
    let mut client = connect(server.addr, "/echo").await;
    client
        .send(Wire::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::Pong(Bytes::from_static(b"are you there"))
    );
    assert_eq!(seen(&mut seen_by_server).await, "ping are you there");
}

#[tokio::test]
async fn a_close_from_the_client_is_answered() {
    let (server, mut seen_by_server) = start(|s| s).await;
    let mut client = connect(server.addr, "/echo").await;
    client
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        }))
        .await
        .unwrap();
    match next(&mut client).await {
        Some(Ok(Wire::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected the server's close, got {other:?}"),
    }
    assert!(next(&mut client).await.is_none());
    assert_eq!(seen(&mut seen_by_server).await, "close 1000");
    assert_eq!(seen(&mut seen_by_server).await, "ended");
}

#[tokio::test]
async fn a_close_from_the_server_carries_its_code() {
    let (server, _seen) = start(|s| s).await;
    let mut client = connect(server.addr, "/bye").await;
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("hello")
    );
    match next(&mut client).await {
        Some(Ok(Wire::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 4000);
            assert_eq!(frame.reason, "bye now");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_message_over_the_limit_ends_the_session() {
    let (server, mut seen_by_server) = start(|s| s).await;
    let mut client = connect(server.addr, "/small").await;
    client.send(Wire::text("x".repeat(1000))).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("x".repeat(1000))
    );
    client.send(Wire::text("x".repeat(2000))).await.unwrap();
    assert_eq!(seen(&mut seen_by_server).await, "error too_large=true");
    // The connection is gone: the client sees its end, not an echo.
    match next(&mut client).await {
        None | Some(Err(_)) => {}
        Some(Ok(Wire::Close(_))) => {}
        other => panic!("expected the end of the connection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_panicking_handler_closes_its_socket_only() {
    let (server, _seen) = start(|s| s).await;
    let mut client = connect(server.addr, "/panics").await;
    match next(&mut client).await {
        None | Some(Err(_)) => {}
        other => panic!("expected the end of the connection, got {other:?}"),
    }
    let mut client = connect(server.addr, "/echo").await;
    client.send(Wire::text("still here")).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("still here")
    );
}

#[tokio::test]
async fn a_bad_handshake_is_400() {
    let (server, _seen) = start(|s| s).await;
    let head = "GET /echo HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n";
    for (extra, needle) in [
        ("sec-websocket-version: 13\r\n", "Sec-WebSocket-Key"),
        (
            "sec-websocket-version: 13\r\nsec-websocket-key: short\r\n",
            "Sec-WebSocket-Key",
        ),
        (
            "sec-websocket-version: 8\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "Sec-WebSocket-Version: 13",
        ),
    ] {
        let raw = server.raw(format!("{head}{extra}\r\n").as_bytes()).await;
        assert_eq!(raw.status(), Some(400), "{}", raw.text());
        assert!(raw.text().contains(needle), "{}", raw.text());
    }
    // A plain GET, without the upgrade.
    let reply = server.get("/echo").await;
    reply.error(400, &["Connection: upgrade"]);
    // Over HTTP/2: not supported, said so.
    let mut h2 = common::streams::http2(server.addr).await;
    let request = common::req(usrv::Method::GET, "/echo")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Bytes::new())
        .unwrap();
    let mut response = common::streams::open2(&mut h2, request).await;
    assert_eq!(response.status(), 400);
    let body = common::streams::read_all(response.body_mut())
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("RFC 8441"));
}

#[tokio::test]
async fn an_idle_socket_outlives_the_header_timeout() {
    let (server, _seen) = start(|s| s).await;
    let mut client = connect(server.addr, "/echo").await;
    tokio::time::sleep(common::HEADER_TIMEOUT * 3).await;
    client.send(Wire::text("awake")).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("awake")
    );
}

#[tokio::test]
async fn shutdown_waits_for_the_grace_period_then_closes_sockets() {
    let (server, _seen) = start(|s| s.shutdown_grace(Duration::from_millis(300))).await;
    let mut client = connect(server.addr, "/echo").await;
    client.send(Wire::text("before")).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("before")
    );
    let started = std::time::Instant::now();
    server.stop().await.expect("the server stops");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250),
        "did not wait for the socket: {took:?}"
    );
    match next(&mut client).await {
        None | Some(Err(_)) => {}
        other => panic!("expected the end of the connection, got {other:?}"),
    }
}

#[tokio::test]
async fn websockets_work_inside_axum() {
    let (sender, _receiver) = mpsc::unbounded_channel();
    let app = usrv::App::builder()
        .state(Seen(sender))
        .build()
        .expect("the app builds");
    let router = axum::Router::new().fallback_service(app);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut client = connect(addr, "/echo").await;
    client.send(Wire::text("via axum")).await.unwrap();
    assert_eq!(
        next(&mut client).await.unwrap().unwrap(),
        Wire::text("via axum")
    );
}

#[tokio::test]
async fn a_signed_handshake_gets_a_signed_101_never_sealed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::Role;
    use usrv::crypto::{Nonce, RequestBase, ResponseBase, SecretKey, Signature};

    let server_key = SecretKey::generate();
    let server_public = server_key.public_key();
    let (server, _seen) = start(|s| s.key(server_key)).await;
    let client_key = SecretKey::generate();
    let nonce = Nonce::generate();
    let digest = RequestBase {
        method: "GET",
        target: "/echo",
        content_type: "",
        nonce: nonce.as_str(),
        ephemeral: None,
        body: b"",
    }
    .digest();
    let signature = client_key.sign_digest(&digest);
    let request = format!(
        "GET /echo HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\
         sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         accept-encoding: usrv-v1\r\nsender-public-key: {}\r\nnonce: {}\r\nsender-signature: {signature}\r\n\r\n",
        client_key.public_key(),
        nonce.as_str(),
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    tokio::time::timeout(LIMIT, async {
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "closed early");
            head.push(byte[0]);
        }
    })
    .await
    .expect("the reply head arrives");
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    assert_eq!(
        header("sec-websocket-accept").as_deref(),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    // Signed by the server, over an empty body, and not sealed.
    assert_eq!(header("content-encoding"), None);
    let signature: Signature = header("sender-signature").unwrap().parse().unwrap();
    ResponseBase {
        status: 101,
        content_type: "",
        request_nonce: nonce.as_str(),
        ephemeral: None,
        body: b"",
    }
    .verify(&server_public, &signature)
    .expect("the 101 is signed by the server");
    // The socket works.
    let mut client =
        tokio_tungstenite::WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    client.send(Wire::text("signed hello")).await.unwrap();
    let echo = tokio::time::timeout(LIMIT, client.next()).await.unwrap();
    assert_eq!(echo.unwrap().unwrap(), Wire::text("signed hello"));
}
