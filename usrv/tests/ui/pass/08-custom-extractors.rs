// User types as path values, query values and extractors.
use usrv::{route, Ctx, FromParam, FromRequest, Rejection};

struct Slug(String);

impl FromParam for Slug {
    fn from_param(value: &str) -> Option<Self> {
        value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
            .then(|| Slug(value.to_owned()))
    }
}

struct UserAgent(String);

impl FromRequest for UserAgent {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let value = ctx
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok());
        Ok(UserAgent(value.unwrap_or("unknown").to_owned()))
    }
}

#[route("/posts/<slug>")]
fn post(slug: Slug, tag: Option<Slug>, agent: UserAgent) -> (u16, String, Option<String>, String) {
    (200, slug.0, tag.map(|t| t.0), agent.0)
}

#[route("/tags")]
async fn tags(tag: Vec<Slug>, agent: UserAgent) -> (u16, Vec<String>, String) {
    (200, tag.into_iter().map(|t| t.0).collect(), agent.0)
}

fn main() {}
