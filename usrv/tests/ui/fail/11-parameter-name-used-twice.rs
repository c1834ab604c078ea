use usrv::route;

#[route("/<int:id>/child/<int:id>")]
fn child(id: i64) -> (u16, i64) {
    (200, id)
}

fn main() {}
