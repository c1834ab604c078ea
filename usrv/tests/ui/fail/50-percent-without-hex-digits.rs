use usrv::route;

#[route("/discount/100%")]
fn discount() -> (u16,) {
    (200,)
}

fn main() {}
