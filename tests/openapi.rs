//! The OpenAPI document of an application: one operation per route and
//! method, parameters from the converters and the Rust types, bodies,
//! responses from the return types, the framework's errors, the secure
//! protocol's headers; served at `GET /openapi.json` unless turned off.

mod common;

use common::TestServer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usrv::schemars::JsonSchema;
use usrv::{route, Bytes, Form, HeaderMap, Identity, Json, Multipart, Rejection, StatusCode};

/// A todo, with its schema.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "usrv::schemars")]
pub struct Todo {
    /// What to do.
    title: String,
    done: bool,
}

/// A type without `JsonSchema`: no compile error, an unconstrained schema.
#[derive(Serialize, Deserialize)]
pub struct Opaque {
    x: i64,
}

/// Reads one item.
///
/// The id is a byte; the rest of the path follows.
#[route("/items/<int:id>/<float:scale>/<path:rest>")]
fn item(
    id: u8,
    scale: f64,
    rest: String,
    q: String,
    limit: Option<u32>,
    tag: Vec<String>,
    headers: HeaderMap,
) -> (u16, u8, String) {
    let _ = (scale, q, limit, tag, headers);
    (200, id, rest)
}

#[route("/todos", methods = ["POST", "PUT"])]
fn create(todo: Json<Todo>) -> Json<Todo> {
    todo
}

#[route("/opaque", methods = ["POST"])]
fn opaque(value: Json<Opaque>) -> (u16, Json<Opaque>) {
    (201, value)
}

#[route("/form", methods = ["POST"])]
fn form(todo: Form<Todo>) -> String {
    todo.0.title
}

#[route("/upload", methods = ["POST"])]
fn upload(parts: Multipart) -> (u16, usize) {
    (200, parts.parts().len())
}

#[route("/raw", methods = ["POST"])]
fn raw(body: Bytes) -> Bytes {
    body
}

#[route("/gone", methods = ["DELETE"])]
fn gone() {}

#[route("/maybe/<int:n>")]
fn maybe(n: i64) -> Result<(u16, i64), Rejection> {
    match n {
        0 => Err(Rejection::not_found("zero")),
        n => Ok((200, n)),
    }
}

#[route("/status")]
fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[route("/whoami", signed)]
fn whoami(sender: Identity) -> String {
    sender.to_string()
}

#[route("/vault", methods = ["POST"], encrypted)]
fn vault(secret: Json<Todo>) -> Json<Todo> {
    secret
}

mod first {
    /// The same name in two modules.
    #[usrv::route("/first/list")]
    pub fn list() -> &'static str {
        "first"
    }
}

mod second {
    #[usrv::route("/second/list")]
    pub fn list() -> &'static str {
        "second"
    }
}

fn document() -> Value {
    usrv::App::new()
        .expect("the routes build")
        .openapi()
        .clone()
}

fn operation<'d>(document: &'d Value, path: &str, method: &str) -> &'d Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "no {method} {path}");
    operation
}

fn parameter<'o>(operation: &'o Value, name: &str) -> &'o Value {
    operation["parameters"]
        .as_array()
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter `{name}` in {operation:#}"))
}

fn statuses(operation: &Value) -> Vec<String> {
    let mut statuses: Vec<String> = operation["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .cloned()
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn the_document_is_openapi_3_1() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "usrv-examples");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        document["components"]["schemas"]["Error"]["required"],
        json!(["error", "status"])
    );
    // One operation per route and method, plus `GET /puk`.
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|path| path.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 14 + 1);
    assert_eq!(
        operation(&document, "/puk", "get")["operationId"],
        "usrv_public_key"
    );
}

#[test]
fn operations_are_named_and_documented() {
    let document = document();
    let item = operation(&document, "/items/{id}/{scale}/{rest}", "get");
    assert_eq!(item["operationId"], "item");
    assert_eq!(item["summary"], "Reads one item.");
    assert_eq!(
        item["description"],
        "The id is a byte; the rest of the path follows."
    );
    assert_eq!(
        operation(&document, "/todos", "post")["operationId"],
        "create_post"
    );
    assert_eq!(
        operation(&document, "/todos", "put")["operationId"],
        "create_put"
    );
    assert_eq!(
        operation(&document, "/first/list", "get")["operationId"],
        "first_list"
    );
    assert_eq!(
        operation(&document, "/second/list", "get")["operationId"],
        "second_list"
    );
    assert!(operation(&document, "/gone", "delete")
        .get("summary")
        .is_none());
}

#[test]
fn parameters_follow_the_converters_and_the_types() {
    let document = document();
    let item = operation(&document, "/items/{id}/{scale}/{rest}", "get");
    let id = parameter(item, "id");
    assert_eq!(
        (id["in"].as_str(), id["required"].as_bool()),
        (Some("path"), Some(true))
    );
    assert_eq!(id["schema"]["type"], "integer");
    assert_eq!(
        (
            id["schema"]["minimum"].as_i64(),
            id["schema"]["maximum"].as_i64()
        ),
        (Some(0), Some(255))
    );
    assert_eq!(parameter(item, "scale")["schema"]["type"], "number");
    let rest = parameter(item, "rest");
    assert_eq!(rest["schema"], json!({"type": "string", "minLength": 1}));
    assert!(rest["description"].as_str().unwrap().contains('/'));

    let q = parameter(item, "q");
    assert_eq!(
        (q["in"].as_str(), q["required"].as_bool()),
        (Some("query"), Some(true))
    );
    let limit = parameter(item, "limit");
    assert_eq!(limit["required"], false);
    assert_eq!(limit["schema"]["maximum"], json!(u32::MAX));
    let tag = parameter(item, "tag");
    assert_eq!(tag["required"], false);
    assert_eq!(
        tag["schema"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert_eq!(
        (tag["style"].as_str(), tag["explode"].as_bool()),
        (Some("form"), Some(true))
    );
    // Context extractors are not parameters.
    assert_eq!(item["parameters"].as_array().unwrap().len(), 6);
    assert!(operation(&document, "/whoami", "get")
        .get("parameters")
        .is_none());
}

#[test]
fn bodies_have_their_media_types() {
    let document = document();
    let create = operation(&document, "/todos", "post");
    assert_eq!(
        create["requestBody"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Todo"}}}})
    );
    let todo = &document["components"]["schemas"]["Todo"];
    assert_eq!(todo["properties"]["title"]["description"], "What to do.");
    assert_eq!(todo["required"], json!(["title", "done"]));
    assert_eq!(
        operation(&document, "/opaque", "post")["requestBody"]["content"]["application/json"]
            ["schema"],
        json!({})
    );
    assert!(
        operation(&document, "/form", "post")["requestBody"]["content"]
            ["application/x-www-form-urlencoded"]
            .is_object()
    );
    assert!(
        operation(&document, "/upload", "post")["requestBody"]["content"]["multipart/form-data"]
            .is_object()
    );
    assert!(
        operation(&document, "/raw", "post")["requestBody"]["content"]["application/octet-stream"]
            .is_object()
    );
}

#[test]
fn responses_follow_the_return_types_and_the_framework() {
    let document = document();
    let item = operation(&document, "/items/{id}/{scale}/{rest}", "get");
    assert_eq!(statuses(item), ["2XX", "400", "404", "405", "500"]);
    assert_eq!(
        item["responses"]["2XX"]["content"]["application/json"]["schema"],
        json!({
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"anyOf": [
                {"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255},
                {"type": "string"},
            ]},
        })
    );
    assert_eq!(
        item["responses"]["400"],
        json!({"$ref": "#/components/responses/Error400"})
    );
    assert_eq!(
        document["components"]["responses"]["Error400"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Error"})
    );

    let create = operation(&document, "/todos", "post");
    assert_eq!(
        statuses(create),
        ["200", "400", "404", "405", "408", "413", "415", "500"]
    );
    assert_eq!(
        create["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Todo"})
    );
    assert_eq!(
        operation(&document, "/form", "post")["responses"]["200"]["content"]["text/plain"]
            ["schema"],
        json!({"type": "string"})
    );
    assert_eq!(
        statuses(operation(&document, "/gone", "delete")),
        ["204", "404", "405", "500"]
    );
    assert_eq!(
        statuses(operation(&document, "/raw", "post")),
        ["200", "404", "405", "408", "413", "500"]
    );
    let maybe = operation(&document, "/maybe/{n}", "get");
    assert_eq!(
        statuses(maybe),
        ["2XX", "400", "404", "405", "500", "default"]
    );
    assert_eq!(
        maybe["responses"]["default"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Error"})
    );
    assert_eq!(
        statuses(operation(&document, "/status", "get")),
        ["404", "405", "500", "default"]
    );
}

#[test]
fn signed_and_encrypted_routes_name_the_protocol_headers() {
    let document = document();
    let whoami = operation(&document, "/whoami", "get");
    assert_eq!(
        whoami["security"],
        json!([{"usrvSenderPublicKey": [], "usrvNonce": [], "usrvSenderSignature": []}])
    );
    assert_eq!(
        statuses(whoami),
        ["200", "400", "401", "404", "405", "408", "412", "413", "500", "503"]
    );
    assert!(whoami["description"]
        .as_str()
        .unwrap()
        .contains("PROTOCOL.md"));
    let vault = operation(&document, "/vault", "post");
    let requirement = vault["security"][0].as_object().unwrap();
    assert_eq!(requirement.len(), 5);
    assert!(statuses(vault).contains(&"415".to_owned()));
    let schemes = &document["components"]["securitySchemes"];
    for (scheme, header) in [
        ("usrvSenderPublicKey", "Sender-Public-Key"),
        ("usrvNonce", "Nonce"),
        ("usrvSenderSignature", "Sender-Signature"),
        ("usrvContentEncoding", "Content-Encoding"),
        ("usrvEphemeralPublicKey", "Ephemeral-Public-Key"),
    ] {
        assert!(requirement.contains_key(scheme), "{scheme}");
        assert_eq!(schemes[scheme]["type"], "apiKey");
        assert_eq!(schemes[scheme]["in"], "header");
        assert_eq!(schemes[scheme]["name"], header);
        assert!(schemes[scheme]["description"]
            .as_str()
            .unwrap()
            .contains("PROTOCOL.md"));
    }
    assert!(operation(&document, "/todos", "post")
        .get("security")
        .is_none());
}

#[test]
fn chosen_routes_have_their_own_document() {
    let app = usrv::App::with_routes([gone::ROUTE, whoami::ROUTE]).expect("two routes build");
    let paths: Vec<&String> = app.openapi()["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/gone", "/puk", "/whoami"]);
    // Built once.
    assert!(std::ptr::eq(app.openapi(), app.openapi()));
}

#[tokio::test]
async fn the_document_is_served_unless_turned_off() {
    let server = TestServer::start().await;
    let reply = server.get("/openapi.json").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json(200), document());
    server.stop().await.expect("stops");

    let server =
        TestServer::with(|server| server.openapi_route(false).public_key_route(false)).await;
    server.get("/openapi.json").await.error(404, &["no route"]);
    let app = usrv::serve()
        .public_key_route(false)
        .allow_keys([])
        .app()
        .expect("builds");
    assert!(app.openapi()["paths"].get("/puk").is_none());
    assert!(app.openapi()["paths"]["/whoami"]["get"]["responses"]["403"].is_object());
    server.stop().await.expect("stops");
}
