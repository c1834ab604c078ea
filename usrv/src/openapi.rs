//! The OpenAPI 3.1 document of an application's routes, built once from
//! what `#[route]` registered: one operation per route and method, its
//! parameters, request body, responses (the success from the return type,
//! then the framework's errors that the route can produce) and, for signed
//! and encrypted routes, the secure protocol's headers.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use crate::route::{ApiArg, ApiReply, ArgKind, Converter, Presence, Route, Segment};
use crate::schema::Schemas;

/// Where the secure protocol is specified.
pub const PROTOCOL_DOCUMENT: &str = "PROTOCOL.md";

/// The operation id of `GET /puk`.
const PUK_OPERATION_ID: &str = "usrv_public_key";

/// The name of the shared error schema.
const ERROR: &str = "Error";

/// What the document depends on beyond the routes.
pub(crate) struct Options {
    /// `GET /puk` is served.
    pub puk: bool,
    /// Signed requests are accepted from some keys only (403 for others).
    pub allow_list: bool,
}

/// The document of `routes`.
pub(crate) fn document(routes: &[&'static Route], options: &Options) -> Value {
    let mut routes = routes.to_vec();
    routes.sort_by(|a, b| (template(a), a.module, a.name).cmp(&(template(b), b.module, b.name)));
    let puk_taken = routes
        .iter()
        .any(|route| template(route) == "/puk" && route.methods().any(|m| *m == http::Method::GET));
    let puk = options.puk && !puk_taken;
    // One operation per route and method, in this order; each id qualified
    // by its module and suffixed by its method first, then made unique.
    let mut operations: Vec<(&'static Route, &'static http::Method)> = Vec::new();
    let mut ids = Vec::new();
    for (&route, id) in routes.iter().zip(operation_ids(&routes)) {
        let methods: Vec<&'static http::Method> = route.methods().collect();
        for &method in &methods {
            ids.push(match methods.len() {
                1 => id.clone(),
                _ => format!("{id}_{}", method.as_str().to_ascii_lowercase()),
            });
            operations.push((route, method));
        }
    }
    let reserved: &[&str] = match puk {
        true => &[PUK_OPERATION_ID],
        false => &[],
    };
    let ids = unique_ids(ids, reserved);
    let mut schemas = Schemas::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut uses = Security::default();
    let mut errors = BTreeMap::new();
    for ((route, method), id) in operations.into_iter().zip(ids) {
        let operation = operation(route, id, options, &mut schemas, &mut errors);
        uses.signed |= route.is_signed();
        uses.encrypted |= route.is_encrypted();
        paths
            .entry(template(route))
            .or_default()
            .insert(method.as_str().to_ascii_lowercase(), operation);
    }
    if puk {
        paths
            .entry("/puk".to_owned())
            .or_default()
            .insert("get".to_owned(), puk_operation());
    }
    let (title, version) = title(&routes);
    let mut components = Map::new();
    let mut definitions = schemas.into_definitions();
    definitions.insert(ERROR.to_owned(), error_schema());
    components.insert("schemas".to_owned(), Value::Object(definitions));
    if !errors.is_empty() {
        components.insert("responses".to_owned(), json!(errors));
    }
    if uses.signed {
        components.insert(
            "securitySchemes".to_owned(),
            security_schemes(uses.encrypted),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The routes of this server, from their `#[route]` functions (usrv).",
        },
        "paths": paths,
        "components": components,
    })
}

#[derive(Default)]
struct Security {
    signed: bool,
    encrypted: bool,
}

/// `/users/{id}`: the path as OpenAPI templates it.
fn template(route: &Route) -> String {
    if route.segments.is_empty() {
        return "/".to_owned();
    }
    let mut path = String::new();
    for segment in route.segments {
        path.push('/');
        match segment {
            Segment::Literal(text) => path.push_str(text),
            Segment::Param(_, name) => {
                path.push('{');
                path.push_str(name);
                path.push('}');
            }
        }
    }
    path
}

/// The function's name, qualified by its module (`users_list`) when two
/// routes share a name (not yet unique: see `unique_ids`).
fn operation_ids(routes: &[&'static Route]) -> Vec<String> {
    routes
        .iter()
        .map(|route| {
            let shared = routes
                .iter()
                .filter(|other| other.name == route.name)
                .count()
                > 1;
            if !shared {
                return route.name.to_owned();
            }
            // The module path without the crate's name.
            let mut parts: Vec<&str> = route.module.split("::").skip(1).collect();
            parts.push(route.name);
            let qualified = parts.join("_");
            let still_shared = routes
                .iter()
                .filter(|other| other.name == route.name && other.module == route.module)
                .count()
                > 1;
            match still_shared {
                false => qualified,
                true => format!("{}_{}", qualified, route.line),
            }
        })
        .collect()
}

/// The ids made unique, in order: the first of equal ids keeps it, the
/// later ones get `_2`, `_3`... (skipping any id that another operation
/// has or that is `reserved`). Qualifying by module and suffixing by method
/// can still collide: a root `first_list` beside `first::list`, or the GET
/// of a GET and POST route `thing` beside a function `thing_get`.
fn unique_ids(ids: Vec<String>, reserved: &[&str]) -> Vec<String> {
    let wanted: HashSet<String> = ids.iter().cloned().collect();
    let mut taken: HashSet<String> = reserved.iter().map(|id| (*id).to_owned()).collect();
    ids.into_iter()
        .map(|id| {
            if taken.insert(id.clone()) {
                return id;
            }
            (2..)
                .map(|n| format!("{id}_{n}"))
                .find(|candidate| !wanted.contains(candidate) && taken.insert(candidate.clone()))
                .expect("a free suffix")
        })
        .collect()
}

/// The most common package among the routes, and its version.
fn title(routes: &[&'static Route]) -> (String, String) {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for route in routes {
        if !route.api.package.is_empty() {
            *counts
                .entry((route.api.package, route.api.version))
                .or_default() += 1;
        }
    }
    let most = counts.iter().max_by_key(|(_, count)| **count);
    match most {
        Some(((package, version), _)) => ((*package).to_owned(), (*version).to_owned()),
        None => ("usrv".to_owned(), "0.0.0".to_owned()),
    }
}

/// One operation; the framework errors it refers to are added to
/// `errors_used` (`components.responses`).
fn operation(
    route: &Route,
    id: String,
    options: &Options,
    schemas: &mut Schemas,
    errors_used: &mut BTreeMap<String, Value>,
) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".to_owned(), Value::String(id));
    let (summary, description) = split_doc(route.api.doc);
    if let Some(summary) = summary {
        operation.insert("summary".to_owned(), Value::String(summary));
    }
    let mut description = description.unwrap_or_default();
    if route.is_signed() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&security_note(route.is_encrypted()));
    }
    if !description.is_empty() {
        operation.insert("description".to_owned(), Value::String(description));
    }

    let mut parameters = Vec::new();
    let mut produces_400 = route.is_signed();
    let mut body: Option<(&str, Value, bool)> = None;
    let mut decodes = false;
    for arg in route.api.args {
        match arg.kind {
            ArgKind::Path => {
                produces_400 = true;
                parameters.push(path_parameter(route, arg, schemas));
            }
            ArgKind::Value(presence) => {
                let presence = presence();
                if presence == Presence::Extractor {
                    // An extractor of the user's: it may refuse the request.
                    produces_400 = true;
                    continue;
                }
                produces_400 = true;
                parameters.push(query_parameter(arg, presence, schemas));
            }
            ArgKind::Json => {
                produces_400 = true;
                decodes = true;
                body = Some(("application/json", (arg.schema)(schemas), true));
            }
            ArgKind::Form => {
                produces_400 = true;
                decodes = true;
                let schema = object_or((arg.schema)(schemas));
                body = Some(("application/x-www-form-urlencoded", schema, true));
            }
            ArgKind::Multipart => {
                produces_400 = true;
                decodes = true;
                body = Some(("multipart/form-data", json!({"type": "object"}), true));
            }
            ArgKind::Bytes => {
                if body.is_none() {
                    body = Some((
                        "application/octet-stream",
                        json!({"type": "string", "format": "binary"}),
                        false,
                    ));
                }
            }
            ArgKind::CatchAll => produces_400 = true,
            ArgKind::Context => {}
        }
    }
    if !parameters.is_empty() {
        operation.insert("parameters".to_owned(), Value::Array(parameters));
    }
    if let Some((media, schema, required)) = body {
        operation.insert(
            "requestBody".to_owned(),
            json!({
                "required": required,
                "content": { media: { "schema": schema } },
            }),
        );
    }

    let mut responses = Map::new();
    success(&route.api.reply, &mut responses, schemas);
    let reads_body = route.uses_body || route.is_signed();
    let mut errors: Vec<(u16, &str)> = Vec::new();
    if produces_400 {
        errors.push((400, "A value that cannot be read: a path or query value, the body or (for a signed request) a protocol header"));
    }
    if route.is_signed() {
        errors.push((401, "Not signed, a stale nonce or an invalid signature"));
        if options.allow_list {
            errors.push((403, "The sender's key is not allowed"));
        }
    }
    errors.push((404, "No route matches the path"));
    errors.push((405, "The route does not answer this method"));
    if reads_body {
        errors.push((408, "The body did not arrive in time"));
    }
    if route.is_signed() {
        errors.push((412, "The nonce was already used (a replay)"));
    }
    if reads_body {
        errors.push((413, "The body is larger than the server's limit"));
    }
    if decodes || route.is_encrypted() {
        errors.push((
            415,
            "The body's content type (or, for an encrypted route, its sealing) is not the route's",
        ));
    }
    errors.push((500, "The handler panicked"));
    if route.is_signed() {
        errors.push((503, "The replay store is full"));
    }
    for (status, description) in errors {
        let name = format!("Error{status}");
        if !responses.contains_key(&status.to_string()) {
            responses.insert(
                status.to_string(),
                json!({ "$ref": format!("#/components/responses/{name}") }),
            );
            errors_used
                .entry(name)
                .or_insert_with(|| error_response(description));
        }
    }
    operation.insert("responses".to_owned(), Value::Object(responses));
    if route.is_signed() {
        operation.insert(
            "security".to_owned(),
            security_requirement(route.is_encrypted()),
        );
    }
    Value::Object(operation)
}

/// The first paragraph as the summary (on one line), the rest as the
/// description.
fn split_doc(doc: &str) -> (Option<String>, Option<String>) {
    let doc = doc.trim();
    if doc.is_empty() {
        return (None, None);
    }
    let (first, rest) = match doc.split_once("\n\n") {
        Some((first, rest)) => (first, rest.trim()),
        None => (doc, ""),
    };
    let summary = first.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let description = (!rest.is_empty()).then(|| rest.to_owned());
    (Some(summary), description)
}

fn path_parameter(route: &Route, arg: &ApiArg, schemas: &mut Schemas) -> Value {
    let converter = route.segments.iter().find_map(|segment| match segment {
        Segment::Param(converter, name) if *name == arg.name => Some(*converter),
        _ => None,
    });
    let mut schema = bounded((arg.schema)(schemas));
    if is_unconstrained(&schema) {
        schema = match converter {
            Some(Converter::Int) => json!({"type": "integer"}),
            Some(Converter::Float) => json!({"type": "number"}),
            _ => json!({"type": "string"}),
        };
    }
    // A segment is never empty.
    if let Some(object) = schema.as_object_mut() {
        if object.get("type") == Some(&json!("string")) && !object.contains_key("minLength") {
            object.insert("minLength".to_owned(), json!(1));
        }
    }
    let mut parameter = json!({
        "name": arg.name,
        "in": "path",
        "required": true,
        "schema": schema,
    });
    if converter == Some(Converter::Path) {
        parameter["description"] =
            json!("The rest of the path: it may hold `/` (sent as is or as `%2F`).");
    }
    parameter
}

fn query_parameter(arg: &ApiArg, presence: Presence, schemas: &mut Schemas) -> Value {
    let value = bounded((arg.schema)(schemas));
    let (schema, required) = match presence {
        Presence::Required => (value, true),
        Presence::Optional => (value, false),
        _ => (json!({"type": "array", "items": value}), false),
    };
    let mut parameter = json!({
        "name": arg.name,
        "in": "query",
        "required": required,
        "schema": schema,
    });
    if presence == Presence::Repeated {
        parameter["style"] = json!("form");
        parameter["explode"] = json!(true);
    }
    parameter
}

/// Adds the bounds of a fixed-size integer to its schema when it has only
/// its format (`int64`): a larger value is refused with 400.
fn bounded(mut schema: Value) -> Value {
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    let bounds: Option<(Value, Value)> = match object.get("format").and_then(Value::as_str) {
        Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
        Some("int64") | Some("int") => Some((json!(i64::MIN), json!(i64::MAX))),
        Some("uint32") => Some((json!(0), json!(u32::MAX))),
        Some("uint64") | Some("uint") => Some((json!(0), json!(u64::MAX))),
        _ => None,
    };
    if let Some((minimum, maximum)) = bounds {
        object.entry("minimum").or_insert(minimum);
        object.entry("maximum").or_insert(maximum);
    }
    schema
}

fn is_unconstrained(schema: &Value) -> bool {
    schema.as_object().is_some_and(Map::is_empty)
}

/// A form's schema is an object.
fn object_or(schema: Value) -> Value {
    match is_unconstrained(&schema) {
        true => json!({"type": "object"}),
        false => schema,
    }
}

/// The success responses of a reply.
fn success(reply: &ApiReply, responses: &mut Map<String, Value>, schemas: &mut Schemas) {
    let json_content = |schema: Value| json!({"application/json": {"schema": schema}});
    match reply {
        ApiReply::Tuple(values) => {
            let schema = match values.len() {
                0 => json!({"type": "null"}),
                1 => (values[0])(schemas),
                n => tuple_schema(values.iter().map(|value| value(schemas)).collect(), n),
            };
            responses.insert(
                "2XX".to_owned(),
                json!({
                    "description": "Success, with the status the handler chose",
                    "content": json_content(schema),
                }),
            );
        }
        ApiReply::Json(schema) => {
            responses.insert(
                "200".to_owned(),
                json!({"description": "Success", "content": json_content(schema(schemas))}),
            );
        }
        ApiReply::Text => {
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": "Success",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }),
            );
        }
        ApiReply::Empty => {
            responses.insert(
                "204".to_owned(),
                json!({"description": "Success, no content"}),
            );
        }
        ApiReply::Bytes => {
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": "Success",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                }),
            );
        }
        ApiReply::Status => {
            responses.entry("default").or_insert_with(
                || json!({"description": "The status the handler chose, without content"}),
            );
        }
        ApiReply::Rejection => {
            responses
                .entry("default")
                .or_insert_with(|| error_response("An error the handler chose"));
        }
        ApiReply::Result(ok, err) => {
            success(ok, responses, schemas);
            match err {
                ApiReply::Rejection => {
                    responses
                        .entry("default")
                        .or_insert_with(|| error_response("An error the handler chose"));
                }
                ApiReply::Tuple(_) | ApiReply::Json(_) => {
                    let mut shapes = Map::new();
                    success(err, &mut shapes, schemas);
                    if let Some(shape) = shapes.into_iter().next().map(|(_, shape)| shape) {
                        let mut shape = shape;
                        shape["description"] = json!("An error the handler chose");
                        responses.entry("default").or_insert(shape);
                    }
                }
                _ => {
                    responses
                        .entry("default")
                        .or_insert_with(|| json!({"description": "An error the handler chose"}));
                }
            }
        }
        ApiReply::Any => {
            responses
                .entry("default")
                .or_insert_with(|| json!({"description": "A response the handler builds"}));
        }
    }
}

/// The array `[v1, ..., vn]`: `n` items, each one of the values' schemas.
///
/// JSON Schema 2020-12 would say which item is which with `prefixItems`,
/// but schemathesis (4.x) rewrites a response's `prefixItems` into the
/// `items` array of older drafts and then refuses the schema as 2020-12,
/// and many code generators ignore `prefixItems`; `items` with `anyOf` is
/// understood everywhere.
fn tuple_schema(values: Vec<Value>, n: usize) -> Value {
    let mut distinct: Vec<Value> = Vec::new();
    for value in values {
        if !distinct.contains(&value) {
            distinct.push(value);
        }
    }
    let items = match distinct.len() {
        1 => distinct.remove(0),
        _ if distinct.iter().any(is_unconstrained) => json!({}),
        _ => json!({ "anyOf": distinct }),
    };
    json!({
        "type": "array",
        "items": items,
        "minItems": n,
        "maxItems": n,
    })
}

/// `{"error": "<reason>", "status": <code>}`.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A request the framework or the handler refused",
        "properties": {
            "error": {"type": "string", "description": "Why"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "The HTTP status"},
        },
        "required": ["error", "status"],
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": format!("#/components/schemas/{ERROR}")}},
        },
    })
}

/// `GET /puk`: the server key.
fn puk_operation() -> Value {
    json!({
        "operationId": PUK_OPERATION_ID,
        "summary": "The server's public key",
        "description": format!(
            "The key that signs the replies to signed requests and that sealed bodies are sealed to (usrv/v1, see {PROTOCOL_DOCUMENT}): 32 bytes (an x-only secp256k1 key, BIP340), in hex."
        ),
        "responses": {
            "200": {
                "description": "The key, as a JSON string",
                "content": {"application/json": {"schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}},
            },
        },
    })
}

/// The usrv/v1 headers, one API-key scheme each: a signed operation needs
/// them all together.
const SIGNED_HEADERS: [(&str, &str, &str); 3] = [
    (
        "usrvSenderPublicKey",
        "Sender-Public-Key",
        "The sender's public key: 32 bytes (an x-only secp256k1 key, BIP340), in hex.",
    ),
    (
        "usrvNonce",
        "Nonce",
        "A fresh nonce: the time in milliseconds and random bytes; each is accepted once, within the server's window.",
    ),
    (
        "usrvSenderSignature",
        "Sender-Signature",
        "The BIP340 Schnorr signature of the request base: method, target, content type, nonce, ephemeral key and body hash.",
    ),
];

const SEALED_HEADERS: [(&str, &str, &str); 2] = [
    (
        "usrvContentEncoding",
        "Content-Encoding",
        "`usrv-v1`: the body is sealed to the server key (ECDH, HKDF, AES-256-CBC, HMAC-SHA256).",
    ),
    (
        "usrvEphemeralPublicKey",
        "Ephemeral-Public-Key",
        "The ephemeral public key the body was sealed with.",
    ),
];

fn security_schemes(encrypted: bool) -> Value {
    let mut schemes = Map::new();
    let sealed: &[(&str, &str, &str)] = match encrypted {
        true => &SEALED_HEADERS,
        false => &[],
    };
    for (scheme, header, description) in SIGNED_HEADERS.iter().chain(sealed) {
        schemes.insert(
            (*scheme).to_owned(),
            json!({
                "type": "apiKey",
                "in": "header",
                "name": header,
                "description": format!("{description} Part of the usrv/v1 secure protocol: see [{PROTOCOL_DOCUMENT}]({PROTOCOL_DOCUMENT}) in the usrv repository."),
            }),
        );
    }
    Value::Object(schemes)
}

fn security_requirement(encrypted: bool) -> Value {
    let mut requirement = Map::new();
    let sealed: &[(&str, &str, &str)] = match encrypted {
        true => &SEALED_HEADERS,
        false => &[],
    };
    for (scheme, _, _) in SIGNED_HEADERS.iter().chain(sealed) {
        requirement.insert((*scheme).to_owned(), json!([]));
    }
    json!([requirement])
}

fn security_note(encrypted: bool) -> String {
    let mut note = String::from(
        "Signed route (usrv/v1): the request carries `Sender-Public-Key`, `Nonce` and `Sender-Signature`, and the reply is signed by the server key (`GET /puk`).",
    );
    if encrypted {
        note.push_str(" Encrypted: the body is sealed (`Content-Encoding: usrv-v1`, `Ephemeral-Public-Key`) and so is the reply.");
    }
    note.push_str(&format!(
        " See [{PROTOCOL_DOCUMENT}]({PROTOCOL_DOCUMENT}) in the usrv repository."
    ));
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: u16 = 1;
    const POST: u16 = 2;

    /// A route of literal segments, as `#[route]` registers it.
    fn route(
        module: &'static str,
        name: &'static str,
        path: &'static str,
        methods: u16,
    ) -> &'static Route {
        crate::route::test_route(module, name, path, methods)
    }

    /// `(path, method, operationId)` of every operation, in path order.
    fn ids(routes: &[&'static Route], puk: bool) -> Vec<(String, String, String)> {
        let options = Options {
            puk,
            allow_list: false,
        };
        let document = document(routes, &options);
        let mut ids = Vec::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap();
                ids.push((path.clone(), method.clone(), id.to_owned()));
            }
        }
        ids
    }

    fn owned(ids: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        ids.iter()
            .map(|(p, m, i)| ((*p).to_owned(), (*m).to_owned(), (*i).to_owned()))
            .collect()
    }

    #[test]
    fn operation_ids_are_unique_after_qualification() {
        // Registration order must not matter: the document sorts the routes.
        let routes = [
            route("app", "thing_get", "/thing_get", GET),
            route("app::second", "list", "/second/list", GET),
            route("app", "first_list", "/first_list", GET),
            route("app", "thing", "/thing", GET | POST),
            route("app::first", "list", "/first/list", GET),
            route("app", "usrv_public_key", "/key", GET),
        ];
        let expected = [
            // `first::list` and `second::list` are qualified by their
            // module; the root `first_list` comes after `first::list`.
            ("/first/list", "get", "first_list"),
            ("/first_list", "get", "first_list_2"),
            // The id of `GET /puk` is the framework's.
            ("/key", "get", "usrv_public_key_2"),
            ("/puk", "get", "usrv_public_key"),
            ("/second/list", "get", "second_list"),
            // `thing` answers GET and POST: `thing_get`, `thing_post`; the
            // function `thing_get` comes after it.
            ("/thing", "get", "thing_get"),
            ("/thing", "post", "thing_post"),
            ("/thing_get", "get", "thing_get_2"),
        ];
        assert_eq!(ids(&routes, true), owned(&expected));
        let mut reversed = routes;
        reversed.reverse();
        assert_eq!(ids(&reversed, true), owned(&expected));
        // Without `GET /puk`, its id is free.
        let without = ids(&routes, false);
        assert!(without.contains(&("/key".into(), "get".into(), "usrv_public_key".into())));
        let mut unique: Vec<&String> = without.iter().map(|(_, _, id)| id).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), without.len());
    }

    #[test]
    fn suffixes_skip_the_ids_of_other_operations() {
        let ids = |ids: &[&str], reserved: &[&str]| {
            unique_ids(ids.iter().map(|id| (*id).to_owned()).collect(), reserved)
        };
        assert_eq!(ids(&["a", "b"], &[]), ["a", "b"]);
        assert_eq!(ids(&["a", "a", "a"], &[]), ["a", "a_2", "a_3"]);
        // `a_2` is an operation's own id: the second `a` takes `a_3`.
        assert_eq!(ids(&["a", "a", "a_2"], &[]), ["a", "a_3", "a_2"]);
        assert_eq!(ids(&["a", "b"], &["a"]), ["a_2", "b"]);
    }

    #[test]
    fn doc_comments_split_into_summary_and_description() {
        assert_eq!(split_doc(""), (None, None));
        assert_eq!(split_doc("One line."), (Some("One line.".into()), None));
        assert_eq!(
            split_doc("First\nline.\n\nMore.\n\nAnd more."),
            (
                Some("First line.".into()),
                Some("More.\n\nAnd more.".into())
            )
        );
    }

    #[test]
    fn integers_get_their_bounds() {
        assert_eq!(
            bounded(json!({"type": "integer", "format": "int64"})),
            json!({"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX})
        );
        assert_eq!(
            bounded(json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255})),
            json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255})
        );
        assert_eq!(
            bounded(json!({"type": "string"})),
            json!({"type": "string"})
        );
    }
}
