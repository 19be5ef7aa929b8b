//! Reading and writing: records in, results out, in bounded memory.
//!
//! * [`input`]: streaming JSON Lines and CSV readers;
//! * [`run`]: streaming runs in input order, whatever the thread count;
//! * [`resume`]: checkpoints, so that a killed run continues where it was;
//! * [`store`] (cargo feature `store`): the Parquet result store;
//! * [`reclassify`] (cargo feature `store`): a stored corpus coded again
//!   with a new codebook, without the encoder;
//! * [`sink`]: the [`sink::Sink`] trait and the sinks of a run (alert
//!   stream, embeddings, point tally; the store and keyword collector
//!   implement it in their modules);
//! * [`npy`]: `.npy` embedding files;
//! * [`yaml`]: where entries are in a YAML configuration file (for the
//!   line of a problem).

pub mod input;
pub mod npy;
#[cfg(feature = "store")]
pub mod reclassify;
pub mod resume;
pub mod run;
pub mod sink;
#[cfg(feature = "store")]
pub mod store;
pub mod yaml;
