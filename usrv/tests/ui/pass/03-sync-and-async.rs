// Sync and async functions, with and without arguments and return types.
use usrv::route;

#[route("/sync")]
fn sync_fn() {}

#[route("/async")]
async fn async_fn() {}

#[route("/sync/<int:a>")]
fn sync_args(a: i64, b: Option<i64>) -> (u16, i64) {
    (200, a + b.unwrap_or(0))
}

#[route("/async/<int:a>")]
async fn async_args(a: i64, b: Option<i64>) -> (u16, i64) {
    tokio::task::yield_now().await;
    (200, a + b.unwrap_or(0))
}

#[route("/pub")]
pub fn public() -> &'static str {
    "pub"
}

#[route("/pub-crate")]
pub(crate) async fn public_crate() -> &'static str {
    "pub(crate)"
}

/// Documented, with attributes of its own.
#[route("/attributes")]
#[allow(clippy::unused_unit)]
#[inline]
fn attributes() -> () {}

mod nested {
    #[usrv::route("/nested")]
    pub fn nested() -> &'static str {
        "nested"
    }
}

fn main() {
    // The functions stay ordinary functions.
    sync_fn();
    assert_eq!(sync_args(1, Some(2)), (200, 3));
    assert_eq!(nested::nested(), "nested");
    let _ = (
        async_fn(),
        async_args(1, None),
        public(),
        public_crate(),
        attributes(),
    );
}
