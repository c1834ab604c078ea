use usrv::route;

// The attribute is wrong (unknown method), but the function is still
// emitted: calling it from `main` adds no error of its own.
#[route("/add/<int:a>/<int:b>", methods = ["FETCH"])]
fn add(a: i64, b: i64) -> (u16, i64) {
    (200, a + b)
}

fn main() {
    let (status, sum) = add(1, 2);
    assert_eq!((status, sum), (200, 3));
}
