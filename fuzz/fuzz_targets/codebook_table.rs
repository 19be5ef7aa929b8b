#![no_main]
//! cargo-fuzz target `codebook_table`: the body is `targets::codebook_table` (fuzz/targets.rs).

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::codebook_table(data));
