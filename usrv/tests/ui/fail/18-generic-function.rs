use usrv::route;

#[route("/echo/<value>")]
fn echo<T: usrv::FromParam + serde::Serialize>(value: T) -> (u16, T) {
    (200, value)
}

fn main() {}
