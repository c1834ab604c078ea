// Every method, the options alone and together, trailing commas.
use usrv::route;

#[route("/get")]
fn default_get() -> (u16,) {
    (200,)
}

#[route(
    "/all",
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"],
)]
fn every_method() -> (u16,) {
    (200,)
}

#[route("/lower", methods = ["get", "post"])]
fn lower_case() -> (u16,) {
    (200,)
}

#[route("/signed", signed)]
fn signed() -> (u16,) {
    (200,)
}

#[route("/encrypted", methods = ["POST"], encrypted)]
fn encrypted() -> (u16,) {
    (200,)
}

#[route("/both", methods = ["POST"], signed, encrypted)]
fn both() -> (u16,) {
    (200,)
}

#[route("/blocking", blocking)]
fn blocking() -> (u16,) {
    std::thread::sleep(std::time::Duration::from_millis(1));
    (200,)
}

#[route("/everything/<int:id>", blocking, encrypted, signed, methods = ["PUT"])]
fn everything(id: i64) -> (u16, i64) {
    (200, id)
}

fn main() {}
