// `uri` takes each path and query argument as its type (or `&str` for a
// string).
use usrv::route;

#[route("/<int:a>/<b>")]
fn do_test(a: i64, b: String) -> (u16, i64, String) {
    (200, a, b)
}

fn main() {
    let _ = do_test::uri("5", "a b");
}
