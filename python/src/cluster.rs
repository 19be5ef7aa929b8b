//! Hot-issue clustering from Python: over records (analyzed by an engine
//! with a model) or over an embedding matrix. All logic is in
//! `vocmine::cluster`; this only converts.

use pyo3::prelude::*;
use vocmine::cluster::{
    ClusterConfig, ClusterItems, ClusterLevel, ClusterModel, ReportOptions, Vectors,
};
use vocmine::Error;

use super::{convert_all, guarded, to_py_err, PyEngine};

fn config(json: &str) -> Result<ClusterConfig, Error> {
    let c: ClusterConfig = if json.trim().is_empty() {
        ClusterConfig::default()
    } else {
        serde_json::from_str(json).map_err(|e| Error::Config(format!("cluster settings: {e}")))?
    };
    c.validate()?;
    Ok(c)
}

/// Clusters the customer clauses of `items` (records, as `Engine.analyze`
/// takes them) analyzed by `engine` (which needs a model): the report as
/// JSON (`summary`, `clusters`, `assignments`).
#[pyfunction]
#[pyo3(signature = (engine, items, config_json="", all_speakers=false, level="auto"))]
pub(crate) fn cluster_records_json(
    py: Python<'_>,
    engine: PyRef<'_, PyEngine>,
    items: &Bound<'_, PyAny>,
    config_json: &str,
    all_speakers: bool,
    level: &str,
) -> PyResult<String> {
    let level = ClusterLevel::parse(level).ok_or_else(|| {
        to_py_err(
            py,
            Error::Config(format!(
                "level must be clause, record or auto, got `{level}`"
            )),
        )
    })?;
    if engine.encoder.is_none() {
        return Err(to_py_err(
            py,
            Error::Config(
                "clustering needs clause embeddings: build the Engine with a model, not no_model=True"
                    .into(),
            ),
        ));
    }
    let cfg = config(config_json).map_err(|e| to_py_err(py, e))?;
    let converted = convert_all(items)?;
    let outcomes = engine.run_chunk(py, converted, 1, false)?;
    let eng = &engine.engine;
    let result = guarded(py, move || -> Result<String, Error> {
        let mut items = ClusterItems::new().all_speakers(all_speakers).level(level);
        for o in &outcomes {
            if let Some(a) = o.analysis() {
                items.add_analysis(a, eng.segmenter())?;
            }
        }
        if items.is_empty() {
            return Err(Error::Config(
                "no clause with an embedding to cluster".into(),
            ));
        }
        let langs = items.languages();
        let model =
            eng.install(|| ClusterModel::fit_with_languages(items.vectors()?, &langs, cfg))?;
        let options = ReportOptions {
            forms: Some(std::sync::Arc::new(items.forms())),
            ..ReportOptions::default()
        };
        let report = model.report(items.items(), &options, None)?;
        Ok(serde_json::to_string(&report)?)
    })?;
    result.map_err(|e| to_py_err(py, e))
}

/// Clusters an embedding matrix given as float32 bytes (`rows × dim`,
/// row-major): `{"labels": [...], "stats": {...}}` as JSON. `languages`
/// (one per row) turns on per-language centering.
#[pyfunction]
#[pyo3(signature = (data, dim, languages=None, config_json=""))]
pub(crate) fn cluster_vectors_json(
    py: Python<'_>,
    data: Vec<u8>,
    dim: usize,
    languages: Option<Vec<String>>,
    config_json: &str,
) -> PyResult<String> {
    let cfg = config(config_json).map_err(|e| to_py_err(py, e))?;
    let result = guarded(py, move || -> Result<String, Error> {
        if data.len() % 4 != 0 {
            return Err(Error::Config(format!(
                "{} bytes are not float32 values",
                data.len()
            )));
        }
        let floats: Vec<f32> = data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let v = Vectors::new(floats, dim)?;
        let model = match &languages {
            Some(l) => {
                let refs: Vec<&str> = l.iter().map(String::as_str).collect();
                ClusterModel::fit_with_languages(v, &refs, cfg)?
            }
            None => ClusterModel::fit(v, cfg)?,
        };
        let out = serde_json::json!({
            "labels": model.labels(),
            "stats": model.stats(),
        });
        Ok(out.to_string())
    })?;
    result.map_err(|e| to_py_err(py, e))
}
