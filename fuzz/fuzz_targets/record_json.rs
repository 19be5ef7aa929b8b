#![no_main]
//! cargo-fuzz target `record_json`: the body is `targets::record_json` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::record_json(data));
