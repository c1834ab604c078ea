use usrv::route;

#[route("/hello/<name>")]
fn hello(name: &str) -> (u16, String) {
    (200, format!("Hello, {name}!"))
}

fn main() {}
