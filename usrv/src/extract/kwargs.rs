//! The catch-all map: the original's `**kwargs`.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::body::is_json;
use super::query::{decode_value, pairs};
use super::{percent_decode, Ctx, FromRequest};
use crate::Rejection;

/// Everything the named arguments did not take: the query values whose key
/// names no argument, plus the method, the headers and the body.
///
/// It serialises like the original's `**kwargs` dictionary: each unexpected
/// key with its value (an array when repeated), then `"method"`, `"headers"`
/// (an object) and `"data"` (the JSON body when it is JSON, else the body
/// as text, `null` when empty).
///
/// ```
/// use usrv::{route, Kwargs};
///
/// #[route("/kwargs")]
/// fn kwargs(a: Option<String>, rest: Kwargs) -> (u16, Option<String>, Kwargs) {
///     (200, a, rest)
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Kwargs {
    /// Query values whose key names no argument, in order, decoded.
    pub unexpected: Vec<(String, String)>,
    /// The request method.
    pub method: Method,
    /// The request headers.
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: Bytes,
    json_body: bool,
}

impl Kwargs {
    /// The first unexpected value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.unexpected
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl FromRequest for Kwargs {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let mut unexpected = Vec::new();
        for (raw_key, raw_value) in pairs(ctx.query()) {
            let key = percent_decode(raw_key, true).map_err(|()| {
                Rejection::bad_request("a query key is not valid UTF-8 once percent-decoded")
            })?;
            if ctx.argument_names().contains(&key.as_ref()) {
                continue;
            }
            let value = decode_value(&key, raw_value)?;
            unexpected.push((key.into_owned(), value.into_owned()));
        }
        let json_body = ctx
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                is_json(
                    &v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase(),
                )
            });
        Ok(Kwargs {
            unexpected,
            method: ctx.method().clone(),
            headers: ctx.headers().clone(),
            body: ctx.body().clone(),
            json_body,
        })
    }
}

impl Serialize for Kwargs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut written: Vec<&str> = Vec::new();
        for (key, _) in &self.unexpected {
            if written.contains(&key.as_str()) {
                continue;
            }
            written.push(key);
            let values: Vec<&str> = self
                .unexpected
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect();
            match values.as_slice() {
                [one] => map.serialize_entry(key, one)?,
                many => map.serialize_entry(key, many)?,
            }
        }
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("data", &Data(self))?;
        map.end()
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.keys_len()))?;
        for key in self.0.keys() {
            let values: Vec<String> = self
                .0
                .get_all(key)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            map.serialize_entry(key.as_str(), &values.join(", "))?;
        }
        map.end()
    }
}

struct Data<'a>(&'a Kwargs);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let body = &self.0.body;
        if body.is_empty() {
            return serializer.serialize_none();
        }
        if self.0.json_body {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
                return value.serialize(serializer);
            }
        }
        serializer.serialize_str(&String::from_utf8_lossy(body))
    }
}
