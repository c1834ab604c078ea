//! Round trips per second over a real socket: plain, signed, and signed +
//! sealed, through `usrv::Client` against an in-process server. The secure
//! cost per request is meant to be close to the sum of its primitives:
//! signed = client sign + server verify + server sign + client verify;
//! sealed adds two seals and two opens (see usrv-crypto's benches).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use usrv::crypto::SecretKey;
use usrv::{route, Client, Json};

#[route("/echo", methods = ["POST"])]
fn echo(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (client, _stop) = runtime.block_on(async {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = usrv::serve()
            .addr("127.0.0.1:0")
            .shutdown_signal(async {
                let _ = stopped.await;
            })
            .bind()
            .await
            .unwrap();
        let addr = server.local_addr();
        let key = *server.app().public_key();
        tokio::spawn(server.run());
        let client = Client::new(&format!("http://{addr}"))
            .unwrap()
            .with_key(SecretKey::generate())
            .with_server_key(key);
        (client, stop)
    });
    let body = json!({"message": "Hello, World!", "n": 42});

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("plain", |b| {
        b.to_async(&runtime).iter(|| async {
            let reply = client
                .post("/echo")
                .json(&body)
                .unwrap()
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        })
    });
    group.bench_function("signed", |b| {
        b.to_async(&runtime).iter(|| async {
            let reply = client
                .post("/echo")
                .json(&body)
                .unwrap()
                .signed()
                .send()
                .await
                .unwrap();
            assert!(reply.is_authenticated());
        })
    });
    group.bench_function("signed_sealed", |b| {
        b.to_async(&runtime).iter(|| async {
            let reply = client
                .post("/echo")
                .json(&body)
                .unwrap()
                .encrypted()
                .send()
                .await
                .unwrap();
            assert!(reply.is_authenticated());
        })
    });
    group.finish();
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
