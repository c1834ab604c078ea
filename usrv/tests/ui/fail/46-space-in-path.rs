use usrv::route;

#[route("/hello world/<name>")]
fn hello(name: String) -> (u16, String) {
    (200, name)
}

fn main() {}
