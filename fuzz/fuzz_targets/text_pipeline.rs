#![no_main]
//! cargo-fuzz target `text_pipeline`: the body is `targets::text_pipeline` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::text_pipeline(data));
