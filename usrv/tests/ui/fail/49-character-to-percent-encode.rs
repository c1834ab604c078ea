use usrv::route;

// A client sends `é` and `|` percent-encoded, and the router compares the
// path as sent: each character is reported once, with the path to write.
#[route("/café/<name>/a|b")]
fn cafe(name: String) -> (u16, String) {
    (200, name)
}

fn main() {}
