//! Snapshots of the OpenAPI documents of the examples, in
//! `tests/openapi/<name>.json`. `USRV_UPDATE_SNAPSHOTS=1 cargo test` rewrites
//! them; read the diff before committing it.
//!
//! `tests/openapi/check.sh` compares every example's served document with
//! its snapshot too; it alone checks (and, with `USRV_UPDATE_SNAPSHOTS=1`,
//! writes) those of `state`, `websocket` and `streaming`, whose routes take
//! states of types private to the example, which a test cannot build.

use std::path::PathBuf;

/// The document of every route of this test binary equals the snapshot
/// `name`.
pub fn assert_snapshot(name: &str) {
    let app = usrv::App::new().expect("the routes build");
    let document = serde_json::to_string_pretty(app.openapi()).expect("a JSON document") + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/openapi")
        .join(format!("{name}.json"));
    if std::env::var_os("USRV_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &document).expect("the snapshot is written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; write it with USRV_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        document == expected,
        "the document of `{name}` differs from {} (USRV_UPDATE_SNAPSHOTS=1 rewrites it):\n{document}",
        path.display()
    );
}
