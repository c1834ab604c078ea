// A path value of the user's type needs `ToParam` to be written into a
// target; the route itself compiles without it.
use usrv::{route, FromParam};

struct Slug(String);

impl FromParam for Slug {
    fn from_param(value: &str) -> Option<Self> {
        Some(Slug(value.to_owned()))
    }
}

#[route("/posts/<slug>")]
fn post(slug: Slug) -> String {
    slug.0
}

fn main() {
    let _ = post::uri(Slug("hello".into()));
}
