use usrv::route;

#[route("/tags/<str:tag>")]
fn tag(tag: u64) -> (u16, u64) {
    (200, tag)
}

fn main() {}
