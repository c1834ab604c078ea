//! `USRV_TLS_CERT` and `USRV_TLS_KEY`. The environment is the process's: this
//! binary holds one test, which changes the variables step by step.

#[path = "../../tests/common/tls.rs"]
mod tls;

use std::time::Duration;

use tls::{TempDir, TestPki};
use usrv::http::Version;
use usrv::{route, Client};

/// The HTTP version the server saw.
#[route("/version")]
fn version(version: Version) -> (u16, String) {
    (200, format!("{version:?}"))
}

/// The start-up error of `usrv::serve()` on an ephemeral port, if any; else
/// the server runs for the rest of the test and its address is returned.
async fn start(server: usrv::Server) -> Result<std::net::SocketAddr, String> {
    let bound = server
        .addr("127.0.0.1:0")
        .shutdown_signal(std::future::pending())
        .bind()
        .await
        .map_err(|error| error.to_string())?;
    let addr = bound.local_addr();
    tokio::spawn(bound.run());
    Ok(addr)
}

#[tokio::test]
async fn the_environment_names_the_certificate_and_key_and_the_builder_wins() {
    let pki = TestPki::new();
    let dir = TempDir::new("tls-env");
    let cert = dir.file("cert.pem", &pki.chain_pem);
    let key = dir.file("key.pem", &pki.key_pem);
    let missing = dir.path().join("missing.pem");
    let client = |addr| {
        Client::new(&format!("https://{addr}"))
            .unwrap()
            .root_certificate(pki.ca_pem.as_bytes())
            .unwrap()
            .timeout(Duration::from_secs(10))
    };

    // Both set: HTTPS.
    std::env::set_var("USRV_TLS_CERT", &cert);
    std::env::set_var("USRV_TLS_KEY", &key);
    let addr = start(usrv::serve())
        .await
        .expect("starts from the environment");
    let reply = client(addr).get("/version").send().await.unwrap();
    assert_eq!(reply.version(), Version::HTTP_2);

    // The environment names a missing file: the error says which.
    std::env::set_var("USRV_TLS_KEY", &missing);
    assert_eq!(
        start(usrv::serve()).await.unwrap_err(),
        format!(
            "cannot use the TLS key {}: file not found",
            missing.display()
        )
    );
    // ... unless the builder names the files: it wins.
    let addr = start(usrv::serve().tls(&cert, &key)).await.expect("starts");
    assert_eq!(
        client(addr).get("/version").send().await.unwrap().status(),
        200
    );

    // One without the other is a mistake, not plain HTTP.
    std::env::remove_var("USRV_TLS_KEY");
    assert_eq!(
        start(usrv::serve()).await.unwrap_err(),
        "USRV_TLS_CERT is set but USRV_TLS_KEY is not: HTTPS needs both"
    );
    std::env::remove_var("USRV_TLS_CERT");
    std::env::set_var("USRV_TLS_KEY", &key);
    assert_eq!(
        start(usrv::serve()).await.unwrap_err(),
        "USRV_TLS_KEY is set but USRV_TLS_CERT is not: HTTPS needs both"
    );

    // Neither (or empty): plain HTTP.
    std::env::set_var("USRV_TLS_KEY", "");
    let addr = start(usrv::serve()).await.expect("starts in plain HTTP");
    let reply = Client::new(&format!("http://{addr}"))
        .unwrap()
        .get("/version")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    std::env::remove_var("USRV_TLS_KEY");
}
