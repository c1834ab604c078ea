use usrv::route;

#[route("/search?q=<term>")]
fn search(term: String) -> (u16, String) {
    (200, term)
}

fn main() {}
