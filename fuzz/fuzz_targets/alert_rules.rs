#![no_main]
//! cargo-fuzz target `alert_rules`: the body is `targets::alert_rules` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::alert_rules(data));
