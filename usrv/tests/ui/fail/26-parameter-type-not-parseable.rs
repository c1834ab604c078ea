use usrv::route;

struct UserId(u64);

#[route("/users/<id>")]
fn user(id: UserId) -> (u16, u64) {
    (200, id.0)
}

fn main() {}
