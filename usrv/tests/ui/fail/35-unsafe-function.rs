use usrv::route;

#[route("/raw")]
unsafe fn raw() -> (u16,) {
    (200,)
}

fn main() {}
