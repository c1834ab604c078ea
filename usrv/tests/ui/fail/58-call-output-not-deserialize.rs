// A route whose value is `Serialize` only compiles and serves; only its
// typed call, which would decode the value, is an error.
use serde::Serialize;
use usrv::{route, Client, ClientError};

#[derive(Serialize)]
struct Page {
    title: String,
}

#[route("/page")]
fn page() -> (u16, Page) {
    (200, Page { title: "a".into() })
}

async fn caller(client: &Client) -> Result<(), ClientError> {
    let _ = page::call(client).await?;
    Ok(())
}

fn main() {
    let _ = caller;
}
