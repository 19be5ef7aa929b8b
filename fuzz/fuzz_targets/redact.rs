#![no_main]
//! cargo-fuzz target `redact`: the body is `targets::redact` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::redact(data));
