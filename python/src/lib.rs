//! Python bindings for vocmine (PyO3). All logic lives in the core crate;
//! this crate only converts between Python and Rust. The full Python API
//! (`vocmine.Engine`, DataFrames, exceptions per error kind) is built on
//! this module by the Python package; see python/README.md.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Analyzes one JSON record (a JSON Lines line) and returns the output line.
#[pyfunction]
fn analyze_json(py: Python<'_>, line: &str) -> PyResult<String> {
    let line = line.to_owned();
    py.detach(move || {
        let engine = vocmine::Engine::new().map_err(|e| PyValueError::new_err(e.to_string()))?;
        let outcome = match vocmine::Record::from_json_str(&line, 1) {
            Ok(record) => engine.outcome(&record),
            Err(failure) => vocmine::Outcome::Err(failure),
        };
        serde_json::to_string(&outcome).map_err(|e| PyValueError::new_err(e.to_string()))
    })
}

/// The native module.
#[pymodule]
fn _vocmine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(analyze_json, m)?)?;
    Ok(())
}
