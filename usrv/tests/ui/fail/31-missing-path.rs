use usrv::route;

#[route]
fn index() -> (u16,) {
    (200,)
}

fn main() {}
