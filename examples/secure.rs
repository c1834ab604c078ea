//! The secure protocol: signed senders, sealed bodies, replay protection.
//!
//! ```text
//! cargo run --example secure                 # serves on USRV_ADDR or 127.0.0.1:5000
//! cargo run --example secure_client          # talks to it with usrv::Client
//! ```
//!
//! Routes: `GET /puk` (the server key, built in), `POST /echo` (open),
//! `POST /whoami` (needs a signed sender), `POST /vault` (needs sealed bodies;
//! replies are sealed too).
use serde_json::Value;
use usrv::{route, Identity, Json};

/// Open to anyone: answers the JSON body.
#[route("/echo", methods = ["POST"])]
pub fn echo(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Needs a signed request: answers the sender's public key.
#[route("/whoami", methods = ["POST"])]
pub fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.to_string())
}

/// Needs a sealed body: only the sender and the server read it, and the
/// reply is sealed to the sender.
#[route("/vault", methods = ["POST"], encrypted)]
pub fn vault(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

#[tokio::main]
async fn main() -> Result<(), usrv::Error> {
    // USRV_KEY_FILE / USRV_KEY_PASSPHRASE load a key file; otherwise a key
    // is generated at start and logged.
    usrv::serve().await
}
