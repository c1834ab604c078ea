//! Plain values come from the query parameter named like the argument.
//! The query string is scanned in place for each argument: nothing is
//! allocated unless a value has escapes to decode.

use std::borrow::Cow;

use super::param::parse;
use super::{percent_decode, Ctx, FromParam, FromRequest};
use crate::rejection::Rejection;

/// The raw `key=value` pairs of a query string (a key alone has an empty value).
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// Whether a raw key decodes to `name`.
pub(crate) fn key_is(raw: &str, name: &str) -> bool {
    if raw == name {
        return true;
    }
    let encoded = raw.bytes().any(|b| b == b'%' || b == b'+');
    encoded && percent_decode(raw, true).is_ok_and(|key| key == name)
}

/// Decodes a raw value of the query parameter `name`.
pub(crate) fn decode_value<'q>(name: &str, raw: &'q str) -> Result<Cow<'q, str>, Rejection> {
    percent_decode(raw, true).map_err(|()| {
        Rejection::bad_request(format!(
            "query parameter `{name}` is not valid UTF-8 once percent-decoded"
        ))
    })
}

/// A plain value: the query parameter of the argument's name, required.
impl<T: FromParam> FromRequest for T {
    fn from_request(ctx: &Ctx<'_>, name: &'static str) -> Result<Self, Rejection> {
        match ctx.query_value(name)? {
            Some(value) => parse("query parameter", name, &value),
            None => Err(Rejection::bad_request(format!(
                "missing query parameter `{name}`"
            ))),
        }
    }
}

/// An optional plain value: `None` when the query does not name it.
impl<T: FromParam> FromRequest for Option<T> {
    fn from_request(ctx: &Ctx<'_>, name: &'static str) -> Result<Self, Rejection> {
        match ctx.query_value(name)? {
            Some(value) => parse("query parameter", name, &value).map(Some),
            None => Ok(None),
        }
    }
}

/// Every value of a repeated query key (`?tag=a&tag=b`), possibly none.
impl<T: FromParam> FromRequest for Vec<T> {
    fn from_request(ctx: &Ctx<'_>, name: &'static str) -> Result<Self, Rejection> {
        let mut values = Vec::new();
        for (key, value) in pairs(ctx.query()) {
            if key_is(key, name) {
                values.push(parse("query parameter", name, &decode_value(name, value)?)?);
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pairs() {
        let got: Vec<_> = pairs("a=1&&b&c=x=y&=z").collect();
        assert_eq!(got, vec![("a", "1"), ("b", ""), ("c", "x=y"), ("", "z")]);
        assert!(key_is("a%5Fb", "a_b"));
        assert!(key_is("a+b", "a b"));
        assert!(!key_is("ab", "a"));
    }
}
