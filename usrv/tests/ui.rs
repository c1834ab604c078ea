//! Compile-fail and compile-pass cases of the `#[route]` attribute.
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p
//! usrv --test ui`, then read each one: the message must be clear and the
//! caret must point at the user's token.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
