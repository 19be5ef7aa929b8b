#![no_main]
//! cargo-fuzz target `record_csv`: the body is `targets::record_csv` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::record_csv(data));
