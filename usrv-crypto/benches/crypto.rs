//! Per-request costs of the usrv protocol.
//!
//! `cargo bench -p usrv-crypto -- --warm-up-time 1 --measurement-time 3`
//!
//! With `--features secp256k1` the API runs on libsecp256k1, and the
//! `backend` group shows the bare calls of both libraries side by side.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use usrv_crypto::nonce::now_unix_ms;
use usrv_crypto::{envelope, Nonce, PublicKey, ReplayGuard, RequestBase, ResponseBase, SecretKey};

/// Polls a future once: those of a guard over a `MemoryStore` are ready at once.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a MemoryStore future was not ready at once"),
    }
}

fn keys(c: &mut Criterion) {
    let key = SecretKey::generate();
    let public = key.public_key();
    let peer = SecretKey::generate().public_key();
    let digest = [7u8; 32];
    let sig = key.sign_digest(&digest);
    let hex = public.to_string();

    // Through the crate's API, on the backend it was built with.
    let mut group = c.benchmark_group(format!("api ({})", usrv_crypto::BACKEND));
    group.bench_function("sign", |b| b.iter(|| key.sign_digest(black_box(&digest))));
    group.bench_function("verify", |b| {
        b.iter(|| public.verify_digest(black_box(&digest), black_box(&sig)))
    });
    group.bench_function("ecdh", |b| b.iter(|| key.diffie_hellman(black_box(&peer))));
    group.bench_function("parse public key", |b| {
        b.iter(|| black_box(&hex).parse::<PublicKey>())
    });
    group.bench_function("generate key", |b| b.iter(SecretKey::generate));
    group.finish();

    backends(c, &key, &peer);
}

/// The bare library calls of each backend built in, side by side (and to
/// tell wrapper overhead from machine load): `k256` always, `libsecp256k1`
/// with `--features secp256k1`.
fn backends(c: &mut Criterion, key: &SecretKey, peer: &PublicKey) {
    use k256::elliptic_curve::point::AffineCoordinates;

    let digest = [7u8; 32];
    let aux = [1u8; 32];
    let mut group = c.benchmark_group("backend");

    let raw = k256::schnorr::SigningKey::from_bytes(&key.to_bytes().into()).unwrap();
    let raw_sig = raw.sign_raw(&digest, &aux).unwrap();
    let scalar = k256::NonZeroScalar::from_repr(key.to_bytes().into()).unwrap();
    let point = *k256::schnorr::VerifyingKey::from_bytes(&peer.to_bytes().into())
        .unwrap()
        .as_affine();
    group.bench_function(BenchmarkId::new("sign", "k256"), |b| {
        b.iter(|| raw.sign_raw(black_box(&digest), &aux))
    });
    group.bench_function(BenchmarkId::new("verify", "k256"), |b| {
        b.iter(|| {
            raw.verifying_key()
                .verify_raw(black_box(&digest), black_box(&raw_sig))
        })
    });
    group.bench_function(BenchmarkId::new("ecdh", "k256"), |b| {
        b.iter(|| {
            (k256::ProjectivePoint::from(*black_box(&point)) * *scalar)
                .to_affine()
                .x()
        })
    });

    #[cfg(feature = "secp256k1")]
    {
        use secp256k1::{ecdh, schnorr, Keypair, Parity, XOnlyPublicKey};

        let pair = Keypair::from_secret_bytes(key.to_bytes()).unwrap();
        let secret = secp256k1::SecretKey::from_keypair(&pair);
        let xonly = pair.x_only_public_key().0;
        let sig = schnorr::sign_with_aux_rand(&digest, &pair, &aux);
        let peer = XOnlyPublicKey::from_byte_array(peer.to_bytes())
            .unwrap()
            .public_key(Parity::Even);
        // The crate's safe signing re-randomizes its context after each
        // use; usrv-crypto signs on a context of its own (the `api` group).
        group.bench_function(
            BenchmarkId::new("sign, re-randomized per use", "libsecp256k1"),
            |b| b.iter(|| schnorr::sign_with_aux_rand(black_box(&digest), &pair, &aux)),
        );
        group.bench_function(BenchmarkId::new("verify", "libsecp256k1"), |b| {
            b.iter(|| schnorr::verify(black_box(&sig), black_box(&digest), &xonly))
        });
        group.bench_function(BenchmarkId::new("ecdh", "libsecp256k1"), |b| {
            b.iter(|| ecdh::shared_secret_point(black_box(&peer), &secret))
        });
    }
    group.finish();
}

fn envelopes(c: &mut Criterion) {
    let recipient = SecretKey::generate();
    let public = recipient.public_key();
    let mut group = c.benchmark_group("envelope");
    for size in [1024usize, 1024 * 1024] {
        let plaintext = vec![0x5au8; size];
        let sealed = envelope::seal(&public, &plaintext);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &plaintext, |b, p| {
            b.iter(|| envelope::seal(&public, p))
        });
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| {
            b.iter(|| envelope::open(&recipient, &s.ephemeral, &s.body))
        });
    }
    group.finish();
}

fn bases(c: &mut Criterion) {
    let body = vec![0x5au8; 1024];
    let nonce = Nonce::generate();
    let base = RequestBase {
        method: "POST",
        target: "/api/endpoint?a=12&b=test",
        content_type: "application/json",
        nonce: nonce.as_str(),
        ephemeral: None,
        body: &body,
    };
    c.bench_function("request digest 1 KiB", |b| {
        b.iter(|| black_box(&base).digest())
    });
    c.bench_function("nonce parse", |b| {
        b.iter(|| black_box(nonce.as_str()).parse::<Nonce>())
    });
    let guard = ReplayGuard::new(Duration::from_secs(30), 10_000_000);
    let key = SecretKey::generate().public_key();
    let now = now_unix_ms();
    c.bench_function("replay record", |b| {
        b.iter_batched(
            || Nonce::generate_at(now),
            |n| ready(guard.record(&key, &n, now)),
            criterion::BatchSize::SmallInput,
        )
    });
}

/// Server side of one encrypted request with a 1 KiB body: parse and check the
/// headers, verify the request, record the nonce, open the body, seal and sign
/// the reply.
fn server_step(c: &mut Criterion) {
    let server = SecretKey::generate();
    let server_public = server.public_key();
    let client = SecretKey::generate();
    let guard = ReplayGuard::new(Duration::from_secs(30), 10_000_000);
    let plaintext = vec![0x5au8; 1024];
    let reply_plaintext = vec![0xa5u8; 1024];

    c.bench_function("server step 1 KiB", |b| {
        b.iter_batched(
            || {
                // What a client sends (not measured).
                let sealed = envelope::seal(&server_public, &plaintext);
                let nonce = Nonce::generate();
                let sig = RequestBase {
                    method: "POST",
                    target: "/api/endpoint",
                    content_type: "application/json",
                    nonce: nonce.as_str(),
                    ephemeral: Some(&sealed.ephemeral),
                    body: &sealed.body,
                }
                .sign(&client);
                (
                    client.public_key().to_string(),
                    nonce.to_string(),
                    sig.to_string(),
                    sealed.ephemeral.to_string(),
                    sealed.body,
                )
            },
            |(sender, nonce, sig, ephemeral, body)| {
                let now = now_unix_ms();
                let sender: PublicKey = sender.parse().unwrap();
                let nonce: Nonce = nonce.parse().unwrap();
                let sig: usrv_crypto::Signature = sig.parse().unwrap();
                let ephemeral: PublicKey = ephemeral.parse().unwrap();
                guard.check_time(&nonce, now).unwrap();
                RequestBase {
                    method: "POST",
                    target: "/api/endpoint",
                    content_type: "application/json",
                    nonce: nonce.as_str(),
                    ephemeral: Some(&ephemeral),
                    body: &body,
                }
                .verify(&sender, &sig)
                .unwrap();
                ready(guard.record(&sender, &nonce, now)).unwrap();
                let request = envelope::open(&server, &ephemeral, &body).unwrap();
                black_box(request);
                let reply = envelope::seal(&sender, &reply_plaintext);
                let reply_sig = ResponseBase {
                    status: 200,
                    content_type: "application/json",
                    request_nonce: nonce.as_str(),
                    ephemeral: Some(&reply.ephemeral),
                    body: &reply.body,
                }
                .sign(&server);
                (reply, reply_sig)
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, keys, envelopes, bases, server_step);
criterion_main!(benches);
