//! Placeholder replaced by the routing benchmark.
fn main() {}
