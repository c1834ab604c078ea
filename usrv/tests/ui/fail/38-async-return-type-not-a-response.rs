use usrv::route;

struct Page;

#[route("/page")]
async fn page() -> Page {
    Page
}

fn main() {}
