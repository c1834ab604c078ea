//! `examples/bench.rs` as it is: its OpenAPI document, a snapshot in
//! `tests/openapi/bench.json`.

#[allow(dead_code)]
#[path = "../examples/bench.rs"]
mod bench;
mod common;

#[test]
fn the_document_matches_its_snapshot() {
    common::openapi::assert_snapshot("bench");
}
