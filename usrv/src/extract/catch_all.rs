//! The catch-alls of the original: `**kwargs` ([`Kwargs`]) and `*args`
//! ([`Args`]): what the named arguments did not take, plus the method, the
//! headers and the body.

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use super::query::{decode_value, pairs};
use super::{percent_decode, Ctx, FromRequest};
use crate::media::MediaType;
use crate::rejection::Rejection;

/// The keys a [`Kwargs`] map always holds; a query key of the same name
/// is shadowed by the request's own value, as in the original.
const RESERVED: [&str; 3] = ["method", "headers", "data"];

/// Everything the named arguments did not take, by key: the original's
/// `**kwargs`.
///
/// It serialises like the original's dictionary: each unexpected query key
/// with its value (an array when repeated), then `"method"`, `"headers"`
/// (an object) and `"data"` (the JSON body when it is JSON, else the body
/// as text, `null` when empty). A query key named `method`, `headers` or
/// `data` does not override the request's own.
///
/// ```
/// use usrv::{route, Kwargs};
///
/// #[route("/kwargs")]
/// fn kwargs(a: Option<String>, rest: Kwargs) -> (u16, Option<String>, Kwargs) {
///     (200, a, rest)
/// }
/// ```
///
/// `GET /kwargs?a=Paris&unexpected=there` answers
/// `["Paris",{"unexpected":"there","method":"GET","headers":{…},"data":null}]`.
#[derive(Clone, Debug)]
pub struct Kwargs {
    /// Unexpected keys in order of first appearance, each with its values.
    unexpected: Vec<(String, Vec<String>)>,
    rest: Rest,
}

/// Everything the named arguments did not take, in order: the original's
/// `*args`.
///
/// It serialises as a JSON array: the query values whose key names no
/// argument, in request order, then the method, the headers (an object)
/// and the data (as in [`Kwargs`]).
///
/// ```
/// use usrv::{route, Args};
///
/// #[route("/vargs")]
/// fn vargs(a: Option<String>, b: Option<String>, rest: Args) -> (u16, Option<String>, Option<String>, Args) {
///     (200, a, b, rest)
/// }
/// ```
///
/// `GET /vargs?b=12&a=Paris&unexpected=there` answers
/// `["Paris","12",["there","GET",{…},null]]`.
#[derive(Clone, Debug)]
pub struct Args {
    /// Unexpected values, in request order.
    values: Vec<String>,
    rest: Rest,
}

/// An object: each unexpected query key, then `method`, `headers` and `data`.
#[cfg(feature = "openapi")]
impl schemars::JsonSchema for Kwargs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Kwargs".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "The query values no argument took, then the request's `method`, `headers` and `data` (its body)",
            "properties": {
                "method": {"type": "string"},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["method", "headers", "data"],
        })
    }
}

/// An array: the unexpected query values, then the method, the headers and
/// the data.
#[cfg(feature = "openapi")]
impl schemars::JsonSchema for Args {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Args".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "array",
            "description": "The query values no argument took, then the request's method, headers and data (its body)",
            "minItems": 3,
        })
    }
}

/// The request's method, headers and body.
#[derive(Clone, Debug)]
struct Rest {
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    json_body: bool,
}

impl Rest {
    fn of(ctx: &Ctx<'_>) -> Rest {
        Rest {
            method: ctx.method().clone(),
            headers: ctx.headers().clone(),
            body: ctx.body().clone(),
            json_body: MediaType::of(ctx.headers()).is_some_and(|media| media.is_json()),
        }
    }
}

/// The decoded query pairs whose key names no argument, in request order.
fn unexpected_pairs<'c>(
    ctx: &'c Ctx<'_>,
) -> impl Iterator<Item = Result<(String, String), Rejection>> + 'c {
    pairs(ctx.query()).filter_map(move |(raw_key, raw_value)| {
        let key = match percent_decode(raw_key, true) {
            Ok(key) => key,
            Err(()) => {
                return Some(Err(Rejection::bad_request(
                    "a query key is not valid UTF-8 once percent-decoded",
                )))
            }
        };
        if ctx.argument_names().contains(&key.as_ref()) {
            return None;
        }
        Some(decode_value(&key, raw_value).map(|value| (key.into_owned(), value.into_owned())))
    })
}

impl Kwargs {
    /// The first unexpected value of `key`. These are the query's values:
    /// `get("method")` is a query parameter named `method`, which the
    /// serialised object leaves out; the request's own are
    /// [`method`](Self::method), [`headers`](Self::headers) and
    /// [`body`](Self::body).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.get_all(key).first().map(String::as_str)
    }

    /// Every unexpected value of `key`, in request order.
    pub fn get_all(&self, key: &str) -> &[String] {
        self.unexpected
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// The unexpected keys with their values, in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.unexpected
            .iter()
            .map(|(key, values)| (key.as_str(), values.as_slice()))
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.rest.method
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.rest.headers
    }

    /// The body, as received (opened when it was sealed).
    pub fn body(&self) -> &Bytes {
        &self.rest.body
    }
}

impl Args {
    /// The unexpected query values, in request order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.rest.method
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.rest.headers
    }

    /// The body, as received (opened when it was sealed).
    pub fn body(&self) -> &Bytes {
        &self.rest.body
    }
}

impl FromRequest for Kwargs {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        // Grouped through an index, so that many distinct keys cost linear time.
        let mut unexpected: Vec<(String, Vec<String>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for pair in unexpected_pairs(ctx) {
            let (key, value) = pair?;
            match index.get(&key) {
                Some(&at) => unexpected[at].1.push(value),
                None => {
                    index.insert(key.clone(), unexpected.len());
                    unexpected.push((key, vec![value]));
                }
            }
        }
        Ok(Kwargs {
            unexpected,
            rest: Rest::of(ctx),
        })
    }
}

impl FromRequest for Args {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let values = unexpected_pairs(ctx)
            .map(|pair| pair.map(|(_, value)| value))
            .collect::<Result<_, _>>()?;
        Ok(Args {
            values,
            rest: Rest::of(ctx),
        })
    }
}

impl Serialize for Kwargs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, values) in &self.unexpected {
            if RESERVED.contains(&key.as_str()) {
                continue;
            }
            match values.as_slice() {
                [one] => map.serialize_entry(key, one)?,
                many => map.serialize_entry(key, many)?,
            }
        }
        map.serialize_entry("method", self.rest.method.as_str())?;
        map.serialize_entry("headers", &Headers(&self.rest.headers))?;
        map.serialize_entry("data", &Data(&self.rest))?;
        map.end()
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.values.len() + 3))?;
        for value in &self.values {
            seq.serialize_element(value)?;
        }
        seq.serialize_element(self.rest.method.as_str())?;
        seq.serialize_element(&Headers(&self.rest.headers))?;
        seq.serialize_element(&Data(&self.rest))?;
        seq.end()
    }
}

/// The headers as an object; repeated headers joined with `, `.
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

/// The body: parsed JSON when it is JSON, else text, `null` when empty.
struct Data<'a>(&'a Rest);

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
