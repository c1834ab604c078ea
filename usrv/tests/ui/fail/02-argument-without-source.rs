use usrv::route;

struct Filter {
    _limit: u32,
}

#[route("/items")]
fn items(filter: Filter) -> (u16,) {
    let _ = filter;
    (200,)
}

fn main() {}
