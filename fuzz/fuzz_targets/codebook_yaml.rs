#![no_main]
//! cargo-fuzz target `codebook_yaml`: the body is `targets::codebook_yaml` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::codebook_yaml(data));
