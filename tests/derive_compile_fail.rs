//! Misuses of `#[namespace]`, `#[event]` and closure handlers (`on`, `on_any`,
//! `emit_with_ack`) fail to compile with a message that says what
//! to do, at the offending span (`tests/ui/*.stderr`; regenerate with `TRYBUILD=overwrite`
//! and read the result), and a complete namespace compiles and runs (`tests/ui/pass/`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
