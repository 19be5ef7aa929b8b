//! Hot-issue clustering from Python: over records (analyzed by an engine
//! with a model) or over an embedding matrix. All logic is in
//! `vocmine::corpus::cluster`; this only converts.

use pyo3::prelude::*;
use vocmine::corpus::cluster::{
    fit_items, ClusterConfig, ClusterItems, ClusterLevel, ClusterModel, FittedItems, ReportOptions,
    Sample, Vectors,
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
    // records clustered whole read their whole-text embedding, as in the CLI
    let eng = &engine
        .engine
        .with_whole_text(vocmine::neural::stage::WholeText::Always);
    let outcomes = engine.run_chunk_on(eng, py, converted, 1, false)?;
    let result = guarded(py, move || -> Result<String, Error> {
        let mut items = ClusterItems::new().all_speakers(all_speakers).level(level);
        for o in &outcomes {
            if let Some(a) = o.analyzed() {
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

// ------------------------------------------- sampled clustering (Spark)

fn read_ipc(ipc: Vec<u8>) -> Result<Vec<arrow::array::RecordBatch>, Error> {
    let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
        .map_err(super::ipc_error)?;
    reader
        .map(|b| b.map_err(super::ipc_error))
        .collect::<Result<Vec<_>, Error>>()
}

fn parse_level(level: &str) -> Result<ClusterLevel, Error> {
    ClusterLevel::parse(level).ok_or_else(|| {
        Error::Config(format!(
            "level must be clause, record or auto, got `{level}`"
        ))
    })
}

/// The cluster items of a batch of store records (`vocmine.spark`'s nested
/// shape, `dim`-dimensional embeddings), as an Arrow IPC stream in
/// `vocmine::corpus::cluster::items_schema` with `sampled` (by `fraction` and
/// `seed`) and `embedding`. With a codebook, the engine codes the clauses
/// again first (as `vocmine cluster STORE --codebook` does).
#[pyfunction]
#[pyo3(signature = (engine, ipc, dim, level="auto", all_speakers=false, fraction=1.0, seed=42))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cluster_items_batch<'py>(
    py: Python<'py>,
    engine: PyRef<'py, PyEngine>,
    ipc: Vec<u8>,
    dim: usize,
    level: &str,
    all_speakers: bool,
    fraction: f64,
    seed: u64,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let eng = &engine.engine;
    let level = level.to_string();
    let out = guarded(py, move || -> Result<Vec<u8>, Error> {
        let level = parse_level(&level)?;
        let sample = Sample::new(fraction, seed)?;
        let cb = eng.codebook();
        let columns = vocmine::io::store::Columns {
            json: false,
            embeddings: true,
            codes: cb.is_none(),
            text_embeddings: level != ClusterLevel::Clause,
        };
        let mut items = ClusterItems::new().all_speakers(all_speakers).level(level);
        let mut rows: Vec<i64> = Vec::new();
        for batch in read_ipc(ipc)? {
            for mut rec in vocmine::io::store::decode_nested(&batch, dim, columns)? {
                if rec.error.is_some() {
                    continue;
                }
                if let Some(cb) = cb {
                    vocmine::io::reclassify::recode_clauses(cb, &mut rec);
                }
                items.add_stored(&rec, eng.segmenter())?;
                rows.resize(items.len(), rec.row as i64);
            }
        }
        let batch = items.to_arrow(&rows, Some(&sample), true, None)?;
        super::ipc_bytes(&batch)
    })?;
    let out = out.map_err(|e| to_py_err(py, e))?;
    Ok(pyo3::types::PyBytes::new(py, &out))
}

/// Fits a clustering on the items of an Arrow IPC stream (the sample, in
/// the order of the CLI: by row, then clause) and saves the model and the
/// items in `model_dir`. Returns the fit's stats as JSON.
#[pyfunction]
#[pyo3(signature = (ipc, model_dir, config_json=""))]
pub(crate) fn cluster_fit_items(
    py: Python<'_>,
    ipc: Vec<u8>,
    model_dir: std::path::PathBuf,
    config_json: &str,
) -> PyResult<String> {
    let cfg = config(config_json).map_err(|e| to_py_err(py, e))?;
    let out = guarded(py, move || -> Result<String, Error> {
        let decoded = ClusterItems::from_arrow(&read_ipc(ipc)?)?;
        if decoded.items.is_empty() {
            return Err(Error::Config(
                "no item to fit on (the sample is empty: raise the fraction)".into(),
            ));
        }
        let mut model = fit_items(&decoded.items, cfg)?;
        model.save(&model_dir)?;
        decoded.items.save(&model_dir)?;
        Ok(serde_json::to_string(model.stats())?)
    })?;
    out.map_err(|e| to_py_err(py, e))
}

/// A saved clustering that places items (`vocmine.spark.cluster`'s
/// executors hold one per process).
#[pyclass(name = "ClusterPlacer", module = "vocmine._vocmine", frozen)]
pub(crate) struct PyClusterPlacer {
    model: ClusterModel,
    fitted: FittedItems,
}

#[pymethods]
impl PyClusterPlacer {
    /// Loads the model (and its items) saved in `model_dir`.
    #[new]
    fn new(py: Python<'_>, model_dir: std::path::PathBuf) -> PyResult<Self> {
        let loaded = guarded(py, move || -> Result<Self, Error> {
            let model = ClusterModel::load(&model_dir)?;
            let items = ClusterItems::load(&model_dir, model.labels().len())?;
            Ok(PyClusterPlacer {
                fitted: FittedItems::new(&items),
                model,
            })
        })?;
        loaded.map_err(|e| to_py_err(py, e))
    }

    /// Places the items of an Arrow IPC stream (with `embedding`): the same
    /// items without their vectors, with `cluster` and
    /// `centroid_similarity`.
    fn place_batch<'py>(
        &self,
        py: Python<'py>,
        ipc: Vec<u8>,
    ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let out = guarded(py, || -> Result<Vec<u8>, Error> {
            let decoded = ClusterItems::from_arrow(&read_ipc(ipc)?)?;
            let placements = self.model.place(&decoded.items, &self.fitted)?;
            let batch = decoded
                .items
                .to_arrow(&decoded.rows, None, false, Some(&placements))?;
            super::ipc_bytes(&batch)
        })?;
        let out = out.map_err(|e| to_py_err(py, e))?;
        Ok(pyo3::types::PyBytes::new(py, &out))
    }
}

/// The report (`CLUSTERS.json` as JSON) of the model saved in `model_dir`
/// over placed items (an Arrow IPC stream with `cluster` and
/// `centroid_similarity`, in the CLI's order); `codebook` (a path) gives
/// the code tree for gap suggestions.
#[pyfunction]
#[pyo3(signature = (model_dir, ipc, codebook=None))]
pub(crate) fn cluster_report_placed(
    py: Python<'_>,
    model_dir: std::path::PathBuf,
    ipc: Vec<u8>,
    codebook: Option<std::path::PathBuf>,
) -> PyResult<String> {
    let out = guarded(py, move || -> Result<String, Error> {
        let spec = codebook
            .as_deref()
            .map(vocmine::stages::codebook::CodebookSpec::load)
            .transpose()?;
        let model = ClusterModel::load(&model_dir)?;
        let decoded = ClusterItems::from_arrow(&read_ipc(ipc)?)?;
        if decoded.placements.len() != decoded.items.len() {
            return Err(Error::Config(
                "the items are not placed (no `cluster` column)".into(),
            ));
        }
        let options = ReportOptions {
            forms: Some(std::sync::Arc::new(decoded.items.forms())),
            ..ReportOptions::default()
        };
        let report = model.report_placed(
            decoded.items.items(),
            &decoded.placements,
            &options,
            spec.as_ref(),
        )?;
        Ok(serde_json::to_string(&report)?)
    })?;
    out.map_err(|e| to_py_err(py, e))
}

/// Whether each item (record id and first clause, in order) is in a
/// sample of `fraction` with `seed` (`vocmine::corpus::cluster::Sample::keeps`).
#[pyfunction]
pub(crate) fn sample_mask(
    py: Python<'_>,
    ids: Vec<String>,
    clauses: Vec<usize>,
    fraction: f64,
    seed: u64,
) -> PyResult<Vec<bool>> {
    let sample = Sample::new(fraction, seed).map_err(|e| to_py_err(py, e))?;
    if ids.len() != clauses.len() {
        return Err(to_py_err(
            py,
            Error::Config(format!("{} ids for {} clauses", ids.len(), clauses.len())),
        ));
    }
    Ok(ids
        .iter()
        .zip(&clauses)
        .map(|(id, &c)| sample.keeps(id, c))
        .collect())
}
