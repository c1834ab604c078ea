//! Extractors that read the request head: `HeaderMap`, `Method`, `Uri`, `Version`.

use http::{HeaderMap, Method, Uri, Version};

use super::{Ctx, FromRequest};
use crate::rejection::Rejection;

impl FromRequest for HeaderMap {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.headers().clone())
    }
}

impl FromRequest for Method {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.method().clone())
    }
}

impl FromRequest for Uri {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.uri().clone())
    }
}

impl FromRequest for Version {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.parts.version)
    }
}
