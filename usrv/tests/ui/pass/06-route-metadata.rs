// What the macro registers: name, module, file, line (of the function, not
// of the attribute), the parsed path, methods, options and argument names.
use usrv::__private::{inventory, Converter, Registered, Route, Segment};
use usrv::route;

const USER_FILE_LINE: u32 = line!() + 2;
#[route("/users/<int:id>/files/<path:rest>", methods = ["GET", "POST"], signed)]
fn user_file(id: u32, rest: String, verbose: Option<bool>) -> (u16, u32, String, Option<bool>) {
    (200, id, rest, verbose)
}

#[route("/plain")]
fn plain() {}

#[route("/sealed", methods = ["PUT"], encrypted)]
async fn sealed(body: usrv::Json<serde_json::Value>) -> usrv::Json<serde_json::Value> {
    body
}

#[route("/who")]
fn who(sender: usrv::Identity) -> String {
    sender.to_string()
}

fn find(name: &str) -> &'static Route {
    inventory::iter::<Registered>
        .into_iter()
        .map(|registered| registered.0)
        .find(|route| route.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not registered"))
}

fn main() {
    let route = find("user_file");
    assert_eq!(route.line, USER_FILE_LINE);
    assert!(
        route.file.ends_with("06-route-metadata.rs"),
        "{}",
        route.file
    );
    assert!(!route.module.is_empty());
    assert_eq!(route.pattern, "/users/<int:id>/files/<path:rest>");
    assert_eq!(
        route.segments,
        &[
            Segment::Literal("users"),
            Segment::Param(Converter::Int, "id"),
            Segment::Literal("files"),
            Segment::Param(Converter::Path, "rest"),
        ]
    );
    assert_eq!(
        route.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["GET", "POST"]
    );
    assert!(route.signed && !route.encrypted && !route.uses_body);
    assert_eq!(route.arg_names, ["id", "rest", "verbose"]);
    assert_eq!(route.param_count(), 2);

    let plain = find("plain");
    assert_eq!(
        plain.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["GET"]
    );
    assert!(!plain.signed && !plain.encrypted && !plain.uses_body);
    assert!(plain.segments.iter().eq([Segment::Literal("plain")].iter()));

    let sealed = find("sealed");
    assert!(sealed.signed && sealed.encrypted && sealed.uses_body);

    // An `Identity` argument makes the route signed.
    assert!(find("who").signed);

    // `name::ROUTE` is the registered static itself.
    assert!(std::ptr::eq(user_file::ROUTE, route));
    assert!(std::ptr::eq(sealed::ROUTE, sealed));
}
