use usrv::route;

#[route("/files/<path:rest>/raw")]
fn raw(rest: String) -> (u16, String) {
    (200, rest)
}

fn main() {}
