use usrv::route;

struct Page {
    _title: String,
}

#[route("/page")]
fn page() -> Page {
    Page {
        _title: "home".to_owned(),
    }
}

fn main() {}
