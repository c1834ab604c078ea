// State is shared by every request, on every worker thread: it must be
// `Send + Sync`.
use std::cell::RefCell;
use usrv::{route, State};

struct Counter(RefCell<u64>);

#[route("/count")]
fn count(counter: State<Counter>) -> (u16, u64) {
    (200, *counter.0.borrow())
}

fn main() {}
