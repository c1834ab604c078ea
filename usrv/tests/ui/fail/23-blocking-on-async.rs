use usrv::route;

#[route("/slow", blocking)]
async fn slow() -> (u16,) {
    (200,)
}

fn main() {}
