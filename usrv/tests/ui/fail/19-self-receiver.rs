use usrv::route;

struct Counter;

impl Counter {
    #[route("/count")]
    fn count(&self) -> (u16,) {
        (200,)
    }
}

fn main() {}
