use usrv::route;

struct Page {
    _title: String,
}

#[route("/page")]
fn page() -> (u16, Page) {
    (
        200,
        Page {
            _title: "home".to_owned(),
        },
    )
}

fn main() {}
