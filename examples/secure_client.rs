//! A `usrv::Client` against `cargo run --example secure`.
//!
//! ```text
//! cargo run --example secure &
//! cargo run --example secure_client          # USRV_ADDR to point elsewhere
//! ```
use serde_json::json;
use usrv::client::ClientError;
use usrv::crypto::SecretKey;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let addr = std::env::var("USRV_ADDR").unwrap_or_else(|_| usrv::DEFAULT_ADDR.into());
    let key = SecretKey::generate();
    println!("client public key: {}", key.public_key());
    let client = usrv::Client::new(&format!("http://{addr}"))?.with_key(key);
    println!("server public key: {}", client.server_key().await?);

    let echo = client
        .post("/echo")
        .json(&json!({"hello": "world"}))?
        .send()
        .await?;
    println!(
        "POST /echo            -> {} {}",
        echo.status(),
        echo.text()?
    );

    let whoami = client.post("/whoami").signed().send().await?;
    println!(
        "POST /whoami (signed) -> {} {}",
        whoami.status(),
        whoami.text()?
    );

    let vault = client
        .post("/vault")
        .json(&json!({"secret": 42}))?
        .encrypted()
        .send()
        .await?;
    println!(
        "POST /vault (sealed)  -> {} {}",
        vault.status(),
        vault.text()?
    );

    match client.post("/whoami").send().await {
        Err(ClientError::Status { status, reason, .. }) => {
            println!("POST /whoami unsigned -> {} {reason}", status.as_u16())
        }
        other => println!("POST /whoami unsigned -> unexpected {other:?}"),
    }
    Ok(())
}
