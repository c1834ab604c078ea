// The typed call takes every path, query and body argument of the route.
use usrv::{route, Client, ClientError};

#[route("/<int:a>/<b>")]
fn do_test(a: i64, b: String, verbose: Option<bool>) -> (u16, i64, String) {
    let _ = verbose;
    (200, a, b)
}

async fn caller(client: &Client) -> Result<(i64, String), ClientError> {
    do_test::call(client, 5).await
}

fn main() {
    let _ = caller;
}
