use usrv::route;

#[route("users/<uuid:id>/<>", methods = ["GET", "FETCH", "GET"], sigend, blocking)]
async fn users<T>((_a, _b): (i64, i64), _name: &str) -> (u16,) {
    (200,)
}

fn main() {}
