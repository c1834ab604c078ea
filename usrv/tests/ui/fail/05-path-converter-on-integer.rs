use usrv::route;

#[route("/files/<path:rest>")]
fn files(rest: u32) -> (u16, u32) {
    (200, rest)
}

fn main() {}
