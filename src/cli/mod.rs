//! The subcommands of the `vocmine` binary, one file each, thin over the
//! library: each parses its arguments, builds what the library needs, runs
//! it and prints a summary. `common` holds what they share.

/// `println!` for the subcommands' reports on stdout, returning the write
/// error (`Error::Io`) instead of panicking: a closed pipe (`vocmine … |
/// head`) ends the command quietly (see `main`). `say!(@raw …)` adds no
/// newline.
macro_rules! say {
    (@raw $($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err(|e| vocmine::Error::io("-", e))?
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err(|e| vocmine::Error::io("-", e))?
    }};
}

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
