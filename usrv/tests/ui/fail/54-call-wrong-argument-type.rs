// The typed call takes the route's arguments with their own types.
use usrv::{route, Client, ClientError};

#[route("/<int:a>/<b>")]
fn do_test(a: i64, b: String) -> (u16, i64, String) {
    (200, a, b)
}

async fn caller(client: &Client) -> Result<(i64, String), ClientError> {
    do_test::call(client, "5", "test".into()).await
}

fn main() {
    let _ = caller;
}
