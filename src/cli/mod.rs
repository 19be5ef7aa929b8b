//! The subcommands of the `vocmine` binary, one file each, thin over the
//! library: each parses its arguments, builds what the library needs, runs
//! it and prints a summary. `common` holds what they share.

pub(crate) mod analytics;
pub(crate) mod analyze;
pub(crate) mod cluster;
pub(crate) mod codebook;
pub(crate) mod common;
pub(crate) mod embed;
pub(crate) mod eval;
pub(crate) mod keywords;
pub(crate) mod reclassify;
pub(crate) mod report;
pub(crate) mod review;
