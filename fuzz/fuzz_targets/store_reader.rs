#![no_main]
//! cargo-fuzz target `store_reader`: the body is `targets::store_reader` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::store_reader(data));
