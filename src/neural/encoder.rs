//! The neural encoder: sentence embeddings (and, for models that have them,
//! classification logits such as sentiment) from an ONNX model, in one pass,
//! through `ort` (ONNX Runtime, loaded dynamically) and `tokenizers`.
//!
//! A model directory holds `model.onnx`, `tokenizer.json` and `config.json`
//! ([`ModelConfig`]); any BERT / XLM-R style export loads through the config
//! alone: the graph may pool itself (`outputs.embedding`) or return token
//! states (`outputs.token_embeddings`) that vocmine pools (`pooling`: mean or
//! cls).
//!
//! Runtime: texts are tokenized in parallel, deduplicated (identical texts
//! are encoded once, and a bounded cache keeps results across calls), sorted
//! by length and cut into batches padded to their own longest text; one
//! session is reused for every batch. Truncation at the model's maximum
//! length is counted.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::neural::encoded::Encoded;

/// The commands that build the default model: in the repository, and from
/// the Python wheel anywhere (into the per-user folder, [`user_home`]).
pub const SETUP_COMMAND: &str =
    "python3 models/setup.py` in the repository, or `python -m vocmine.model";

/// The default model's directory name.
pub const DEFAULT_MODEL: &str = "multilingual-e5-small";

/// The per-user folder of vocmine's built model and its ONNX Runtime
/// (`models/multilingual-e5-small`, `models/ort.env`, `.venv-models/`: the
/// repository's layout, written by `python -m vocmine.model`):
/// `VOCMINE_HOME`, else `$XDG_CACHE_HOME/vocmine`, else `~/.cache/vocmine`.
pub fn user_home() -> Option<PathBuf> {
    let nonempty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    nonempty("VOCMINE_HOME")
        .or_else(|| nonempty("XDG_CACHE_HOME").map(|c| c.join("vocmine")))
        .or_else(|| nonempty("HOME").map(|h| h.join(".cache").join("vocmine")))
}

/// Where the default model is looked for, the first that has a
/// `config.json`: `VOCMINE_MODEL`, `models/multilingual-e5-small` under the
/// current directory, the per-user folder ([`user_home`]). When none has
/// one, the relative path (whose error names the set-up commands).
pub fn default_model_dir() -> PathBuf {
    let local = Path::new("models").join(DEFAULT_MODEL);
    if let Some(p) = std::env::var_os("VOCMINE_MODEL").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let user = user_home().map(|h| h.join("models").join(DEFAULT_MODEL));
    std::iter::once(local.clone())
        .chain(user)
        .find(|d| d.join("config.json").is_file())
        .unwrap_or(local)
}

/// What a model computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Sentence embeddings (optionally with extra heads, e.g. sentiment logits).
    Encoder,
    /// A classifier: logits over `labels` (embeddings optional).
    Classifier,
}

/// How token states become one sentence vector, when the graph does not pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Mean over the attention mask.
    #[default]
    Mean,
    /// The first token's state.
    Cls,
}

/// Graph input names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputNames {
    /// Token ids (int64, `[batch, seq]`).
    #[serde(default = "default_input_ids")]
    pub input_ids: String,
    /// Attention mask (int64, `[batch, seq]`).
    #[serde(default = "default_attention_mask")]
    pub attention_mask: String,
    /// Token type ids, for graphs that take them (all zeros are fed).
    #[serde(default)]
    pub token_type_ids: Option<String>,
    /// A bool scalar input of graphs that compute the embedding only when
    /// it is wanted (default true in the graph): fed `false` when a caller
    /// reads only the heads ([`Encoder::encode_heads`]), so the layers only
    /// the embedding needs do not run. The heads' outputs are the same
    /// either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_wanted: Option<String>,
}

fn default_input_ids() -> String {
    "input_ids".into()
}

fn default_attention_mask() -> String {
    "attention_mask".into()
}

impl Default for InputNames {
    fn default() -> Self {
        InputNames {
            input_ids: default_input_ids(),
            attention_mask: default_attention_mask(),
            token_type_ids: None,
            embedding_wanted: None,
        }
    }
}

/// Graph output names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OutputNames {
    /// A pooled sentence embedding `[batch, dim]`.
    #[serde(default)]
    pub embedding: Option<String>,
    /// Token states `[batch, seq, dim]`, pooled by vocmine with `pooling`.
    #[serde(default)]
    pub token_embeddings: Option<String>,
    /// Classification logits `[batch, labels]` (e.g. sentiment).
    #[serde(default)]
    pub logits: Option<String>,
    /// The logit of the itch (wish / suggestion) voice type, `[batch, 1]`
    /// or `[batch]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itch: Option<String>,
}

/// `config.json` of a model directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// `encoder` or `classifier`.
    pub kind: ModelKind,
    /// A name for reports.
    #[serde(default)]
    pub name: String,
    /// Pooling of token states (used only with `outputs.token_embeddings`).
    #[serde(default)]
    pub pooling: Pooling,
    /// L2-normalize the embedding.
    #[serde(default = "yes")]
    pub normalize: bool,
    /// Text prepended before tokenization (`query: ` for e5).
    #[serde(default)]
    pub prefix: String,
    /// Maximum tokens per text; longer texts are truncated (and counted).
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// Input names.
    #[serde(default)]
    pub inputs: InputNames,
    /// Output names.
    #[serde(default)]
    pub outputs: OutputNames,
    /// Labels of `outputs.logits`, in order.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Embedding dimension (checked against the graph's output).
    #[serde(default)]
    pub dimension: Option<usize>,
    /// The trained combiner of whole-text and clause evidence into the
    /// overall sentiment of records and turns (needs three-class `labels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sentiment: Option<crate::neural::sentiment::RecordModel>,
    /// Maximum tokens of a whole text encoded as record-sentiment evidence
    /// (default: `max_length`): the heads were tuned on texts cut at this
    /// length, and long reviews cost little accuracy and much time beyond it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_max_length: Option<usize>,
    /// ONNX Runtime graph optimizers left out when the session is built
    /// (`optimization.disable_specified_optimizers`). Default:
    /// `SkipLayerNormFusion` — on the CPU its fused kernel made the
    /// multilingual-e5-small graph 1.3–1.4× slower than the add and the
    /// layer normalization it replaces (onnxruntime 1.31, BENCHMARKS.md),
    /// for the same arithmetic; `[]` keeps every fusion.
    #[serde(default = "default_disabled_optimizers")]
    pub disabled_optimizers: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_max_length() -> usize {
    512
}

fn default_disabled_optimizers() -> Vec<String> {
    vec!["SkipLayerNormFusion".to_owned()]
}

impl ModelConfig {
    /// Most tokens of a whole text (`text_max_length`, else `max_length`).
    pub fn whole_text_max_length(&self) -> usize {
        self.text_max_length.unwrap_or(self.max_length)
    }

    /// Reads and validates `config.json`.
    pub fn load(path: &Path) -> Result<ModelConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let config: ModelConfig = serde_json::from_str(&text).map_err(|e| Error::Resource {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: format!("invalid model config: {e}"),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |message: String| Error::Resource {
            path: path.to_path_buf(),
            line: 0,
            message,
        };
        if self.outputs.embedding.is_none()
            && self.outputs.token_embeddings.is_none()
            && self.outputs.logits.is_none()
        {
            return Err(bad(
                "outputs must name at least one of embedding, token_embeddings, logits".into(),
            ));
        }
        if self.kind == ModelKind::Classifier && self.outputs.logits.is_none() {
            return Err(bad("a classifier needs outputs.logits".into()));
        }
        if self.outputs.logits.is_some() && self.labels.is_empty() {
            return Err(bad("outputs.logits needs labels".into()));
        }
        if self.max_length < 2 {
            return Err(bad(format!("max_length {} is too small", self.max_length)));
        }
        if let Some(m) = &self.record_sentiment {
            m.validate().map_err(bad)?;
        }
        if self.text_max_length.is_some_and(|n| n < 2) {
            return Err(bad("text_max_length must be at least 2".into()));
        }
        if let Some(o) = self
            .disabled_optimizers
            .iter()
            .find(|o| o.is_empty() || o.contains(';') || o.trim() != o.as_str())
        {
            return Err(bad(format!(
                "disabled_optimizers: `{o}` is not an optimizer name"
            )));
        }
        Ok(())
    }
}

/// Finds the ONNX Runtime shared library: the explicit path, `ORT_DYLIB_PATH`,
/// `models/ort.env` (written by the set-up script), or the `onnxruntime`
/// wheel in `.venv-models/`.
pub fn find_onnxruntime(explicit: Option<&Path>, root: &Path) -> Result<PathBuf> {
    let not_found = |why: String| Error::ModelNotFound {
        path: root.join("models"),
        message: format!("{why}; run `{SETUP_COMMAND}` or set ORT_DYLIB_PATH"),
    };
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(not_found(format!(
                "ONNX Runtime library {} does not exist",
                p.display()
            )))
        };
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(not_found(format!(
                "ORT_DYLIB_PATH={} does not exist",
                p.display()
            )))
        };
    }
    let env_file = root.join("models/ort.env");
    if let Ok(text) = std::fs::read_to_string(&env_file) {
        for line in text.lines() {
            if let Some(v) = line.trim().strip_prefix("ORT_DYLIB_PATH=") {
                let p = PathBuf::from(v.trim());
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
    }
    let venv_lib = root.join(".venv-models/lib");
    if let Ok(entries) = std::fs::read_dir(&venv_lib) {
        let mut found: Vec<PathBuf> = Vec::new();
        for e in entries.flatten() {
            let capi = e.path().join("site-packages/onnxruntime/capi");
            if let Ok(files) = std::fs::read_dir(&capi) {
                for f in files.flatten() {
                    let name = f.file_name().to_string_lossy().to_string();
                    if name.starts_with("libonnxruntime.so") {
                        found.push(f.path());
                    }
                }
            }
        }
        found.sort();
        if let Some(p) = found.pop() {
            return Ok(p);
        }
    }
    Err(not_found(
        "the ONNX Runtime shared library was not found".into(),
    ))
}

/// The process-wide ONNX Runtime environment (loaded once).
fn environment(lib: &Path) -> Result<Arc<ort::environment::Environment>> {
    static ENV: OnceLock<std::result::Result<Arc<ort::environment::Environment>, String>> =
        OnceLock::new();
    ENV.get_or_init(|| {
        let builder = ort::init_from(lib)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", lib.display()))?;
        builder
            .with_name("vocmine")
            .build()
            .map(Arc::new)
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))
    })
    .clone()
    .map_err(Error::model)
}

/// Builds an [`Encoder`].
#[derive(Debug, Clone)]
pub struct EncoderBuilder {
    dir: PathBuf,
    dylib: Option<PathBuf>,
    batch_size: usize,
    intra_threads: usize,
    sessions: usize,
    cache_capacity: usize,
    root: PathBuf,
}

impl EncoderBuilder {
    /// ONNX Runtime shared library to load (default: see [`find_onnxruntime`]).
    pub fn onnxruntime(mut self, path: impl Into<PathBuf>) -> Self {
        self.dylib = Some(path.into());
        self
    }

    /// Where `models/` and `.venv-models/` are looked for (default: the current directory).
    pub fn project_root(mut self, path: impl Into<PathBuf>) -> Self {
        self.root = path.into();
        self
    }

    /// Texts per inference batch (default 1). At 1 each text is encoded
    /// alone, so its embedding and head outputs do not depend on the texts
    /// around it: the int8 graph quantizes the activations of a whole batch
    /// (padding included) with one scale, and at 32 about 3% of the sample
    /// corpus' clause labels changed with the records analyzed beside them
    /// (a file cut into chunks, a Spark partition). Larger batches are
    /// faster on corpora of long texts (≈ 20% on a quarter of long
    /// reviews) and slower on short ones (BENCHMARKS.md).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// ONNX Runtime intra-op threads per session (default 1: on small
    /// batches of short clauses, running sessions side by side is faster than
    /// splitting each operator; measured in BENCHMARKS.md).
    pub fn intra_threads(mut self, n: usize) -> Self {
        self.intra_threads = n;
        self
    }

    /// Sessions that run batches side by side (default: available cores).
    /// Each session holds its own copy of the weights.
    pub fn sessions(mut self, n: usize) -> Self {
        self.sessions = n;
        self
    }

    /// Texts kept in the result cache across calls (default 100,000; 0 turns it off).
    pub fn cache_capacity(mut self, n: usize) -> Self {
        self.cache_capacity = n;
        self
    }

    /// Loads the model; a missing or broken model is a clear error naming the set-up command.
    pub fn build(self) -> Result<Encoder> {
        if self.batch_size == 0 || self.intra_threads == 0 || self.sessions == 0 {
            return Err(Error::Config(
                "batch size, threads and sessions must be at least 1".into(),
            ));
        }
        let missing = |what: &str| Error::ModelNotFound {
            path: self.dir.clone(),
            message: format!("{what} is missing; run `{SETUP_COMMAND}` to build the default model"),
        };
        let model_path = self.dir.join("model.onnx");
        let tokenizer_path = self.dir.join("tokenizer.json");
        let config_path = self.dir.join("config.json");
        for (p, what) in [
            (&config_path, "config.json"),
            (&tokenizer_path, "tokenizer.json"),
            (&model_path, "model.onnx"),
        ] {
            if !p.is_file() {
                return Err(missing(what));
            }
        }
        let config = ModelConfig::load(&config_path)?;
        let mut tokenizer =
            tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| Error::Resource {
                path: tokenizer_path.clone(),
                line: 0,
                message: format!("cannot load the tokenizer: {e}"),
            })?;
        tokenizer.with_truncation(None).map_err(|e| Error::Model {
            message: format!("tokenizer: {e}"),
            source: Some(e),
        })?;
        tokenizer.with_padding(None);
        let lib = find_onnxruntime(self.dylib.as_deref(), &self.root)?;
        let env = environment(&lib)?;
        let open_session = || {
            Session::builder(&env)
                .and_then(|b| b.with_intra_threads(self.intra_threads).map_err(Into::into))
                .and_then(|b| {
                    b.with_optimization_level(ort::session::builder::GraphOptimizationLevel::Level3)
                        .map_err(Into::into)
                })
                .and_then(|b| {
                    if config.disabled_optimizers.is_empty() {
                        return Ok(b);
                    }
                    b.with_config_entry(
                        "optimization.disable_specified_optimizers",
                        config.disabled_optimizers.join(";"),
                    )
                    .map_err(Into::into)
                })
                .and_then(|mut b| b.commit_from_file(&model_path))
                .map_err(|e| Error::ModelNotFound {
                    path: model_path.clone(),
                    message: format!(
                        "cannot load the model ({e}); rebuild it with `{SETUP_COMMAND}`"
                    ),
                })
        };
        let session = open_session()?;
        let names: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        for name in [
            &config.outputs.embedding,
            &config.outputs.token_embeddings,
            &config.outputs.logits,
        ]
        .into_iter()
        .flatten()
        {
            if !names.contains(name) {
                return Err(Error::Resource {
                    path: config_path.clone(),
                    line: 0,
                    message: format!(
                        "the graph has no output `{name}` (outputs: {})",
                        names.join(", ")
                    ),
                });
            }
        }
        if let Some(name) = &config.inputs.embedding_wanted {
            // an input with a default is one of the overridable initializers
            let known = session.inputs().iter().any(|i| i.name() == name.as_str())
                || session
                    .overridable_initializers()
                    .iter()
                    .any(|i| i.name() == name.as_str());
            if !known {
                return Err(Error::Resource {
                    path: config_path.clone(),
                    line: 0,
                    message: format!("inputs.embedding_wanted: the graph has no input `{name}`"),
                });
            }
        }
        let pad_id = tokenizer
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| tokenizer.token_to_id("<pad>"))
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .unwrap_or(0);
        let mut sessions = vec![Mutex::new(session)];
        for _ in 1..self.sessions {
            sessions.push(Mutex::new(open_session()?));
        }
        Ok(Encoder {
            inner: Arc::new(EncoderInner {
                sessions,
                _env: env,
                tokenizer,
                config,
                pad_id: i64::from(pad_id),
                batch_size: self.batch_size,
                cache: Mutex::new(HashMap::new()),
                cache_capacity: self.cache_capacity,
                stats: Default::default(),
                dir: self.dir,
            }),
        })
    }
}

/// Counters of an encoder's work.
#[derive(Debug, Default)]
struct Stats {
    texts: AtomicU64,
    encoded: AtomicU64,
    cache_hits: AtomicU64,
    truncated: AtomicU64,
    tokens: AtomicU64,
    batches: AtomicU64,
}

/// A snapshot of an encoder's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EncoderStats {
    /// Texts asked for.
    pub texts: u64,
    /// Texts run through the model (after deduplication and cache).
    pub encoded: u64,
    /// Texts answered from the cache or by a duplicate in the same call.
    pub cache_hits: u64,
    /// Texts cut at the model's maximum length.
    pub truncated: u64,
    /// Tokens run through the model (without padding).
    pub tokens: u64,
    /// Inference batches.
    pub batches: u64,
}

struct EncoderInner {
    sessions: Vec<Mutex<Session>>,
    _env: Arc<ort::environment::Environment>,
    tokenizer: tokenizers::Tokenizer,
    config: ModelConfig,
    pad_id: i64,
    batch_size: usize,
    cache: Mutex<HashMap<u64, Arc<Encoded>>>,
    cache_capacity: usize,
    stats: Stats,
    dir: PathBuf,
}

/// An ONNX encoder. Cheap to clone; `Send + Sync` (inference batches are
/// serialized on one session; tokenization runs in parallel).
#[derive(Clone)]
pub struct Encoder {
    inner: Arc<EncoderInner>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dir", &self.inner.dir)
            .field("name", &self.inner.config.name)
            .finish()
    }
}

fn text_key(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

struct Tokenized {
    ids: Vec<i64>,
    truncated: bool,
}

impl Encoder {
    /// A builder for the model in `dir`.
    pub fn builder(dir: impl Into<PathBuf>) -> EncoderBuilder {
        EncoderBuilder {
            dir: dir.into(),
            dylib: None,
            batch_size: 1,
            intra_threads: 1,
            sessions: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cache_capacity: 100_000,
            root: PathBuf::from("."),
        }
    }

    /// The model's config.
    pub fn config(&self) -> &ModelConfig {
        &self.inner.config
    }

    /// What makes this encoder's outputs what they are, for caches of its
    /// embeddings: the model's name, the batch size (int8 embeddings depend
    /// slightly on the batch), the size and modification time of its graph,
    /// and the vocmine version.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(
            &self.inner.dir,
            &self.inner.config.name,
            self.inner.batch_size,
        )
    }

    /// Empties the result cache (a resumable run does at each checkpoint,
    /// so that what follows is encoded alike whether or not it resumed there).
    pub fn clear_cache(&self) {
        if let Ok(mut c) = self.inner.cache.lock() {
            c.clear();
        }
    }

    /// Counts of the encoder's work so far.
    pub fn stats(&self) -> EncoderStats {
        let s = &self.inner.stats;
        EncoderStats {
            texts: s.texts.load(Ordering::Relaxed),
            encoded: s.encoded.load(Ordering::Relaxed),
            cache_hits: s.cache_hits.load(Ordering::Relaxed),
            truncated: s.truncated.load(Ordering::Relaxed),
            tokens: s.tokens.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
        }
    }

    fn tokenize(&self, text: &str, max: usize) -> Result<Tokenized> {
        let inner = &*self.inner;
        let input = format!("{}{}", inner.config.prefix, text);
        let enc = inner
            .tokenizer
            .encode(input, true)
            .map_err(|e| Error::Model {
                message: format!("tokenizer: {e}"),
                source: Some(e),
            })?;
        let ids = enc.get_ids();
        if ids.len() <= max {
            return Ok(Tokenized {
                ids: ids.iter().map(|&i| i64::from(i)).collect(),
                truncated: false,
            });
        }
        // Keep the special tokens at both ends: first max-1 tokens and the last one.
        let mut out: Vec<i64> = ids[..max - 1].iter().map(|&i| i64::from(i)).collect();
        if let Some(&last) = ids.last() {
            out.push(i64::from(last));
        }
        Ok(Tokenized {
            ids: out,
            truncated: true,
        })
    }

    /// Encodes texts; results are in input order. Identical texts are
    /// encoded once; earlier results come from the cache.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Arc<Encoded>>> {
        self.encode_max(texts, self.inner.config.max_length)
    }

    /// Encodes texts cut at `max` tokens (at most the model's
    /// `max_length`); like [`Encoder::encode`] otherwise. Results of
    /// different limits are cached apart.
    pub fn encode_max(&self, texts: &[&str], max: usize) -> Result<Vec<Arc<Encoded>>> {
        self.encode_with(texts, max, true)
    }

    /// Encodes texts cut at `max` tokens for their heads' outputs (logits,
    /// itch) only: with a graph that computes its embedding only when it is
    /// wanted (`inputs.embedding_wanted`), the embedding of a text encoded
    /// here is empty and the layers only it needs do not run; otherwise
    /// this is [`Encoder::encode_max`]. The heads' outputs are the same as
    /// [`Encoder::encode_max`]'s.
    pub fn encode_heads(&self, texts: &[&str], max: usize) -> Result<Vec<Arc<Encoded>>> {
        self.encode_with(texts, max, false)
    }

    /// Whether the graph can leave its embedding out
    /// ([`Encoder::encode_heads`]).
    pub fn skips_embedding(&self) -> bool {
        self.inner.config.inputs.embedding_wanted.is_some()
    }

    fn encode_with(
        &self,
        texts: &[&str],
        max: usize,
        embedding: bool,
    ) -> Result<Vec<Arc<Encoded>>> {
        let inner = &*self.inner;
        let max = max.clamp(2, inner.config.max_length);
        // results without an embedding are cached apart
        let embedding = embedding || !self.skips_embedding();
        let lean_salt = if embedding { 0 } else { 0x5BD1_E995_1234_5678 };
        let salt = lean_salt
            ^ if max == inner.config.max_length {
                0
            } else {
                (max as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            };
        inner
            .stats
            .texts
            .fetch_add(texts.len() as u64, Ordering::Relaxed);
        let keys: Vec<u64> = texts.iter().map(|t| text_key(t) ^ salt).collect();
        let mut results: Vec<Option<Arc<Encoded>>> = vec![None; texts.len()];
        // Unique texts not in the cache.
        let mut todo: Vec<usize> = Vec::new();
        {
            let cache = inner
                .cache
                .lock()
                .map_err(|_| Error::model("encoder cache poisoned"))?;
            let mut seen: HashMap<u64, usize> = HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                // a heads-only request also takes a cached full result
                let full = (lean_salt != 0)
                    .then(|| cache.get(&(k ^ lean_salt)))
                    .flatten();
                if let Some(hit) = cache.get(k).or(full) {
                    results[i] = Some(hit.clone());
                } else if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(*k) {
                    e.insert(i);
                    todo.push(i);
                }
            }
        }
        let tokenized: Vec<Tokenized> = todo
            .par_iter()
            .map(|&i| self.tokenize(texts[i], max))
            .collect::<Result<_>>()?;
        // Longest first: the first batch fails early on memory, padding stays small.
        let mut order: Vec<usize> = (0..todo.len()).collect();
        order.sort_by(|&a, &b| {
            tokenized[b]
                .ids
                .len()
                .cmp(&tokenized[a].ids.len())
                .then(a.cmp(&b))
        });
        let mut fresh: Vec<Option<Arc<Encoded>>> = vec![None; todo.len()];
        // Batches run side by side on the sessions; which session runs a
        // batch does not change its result.
        let chunks: Vec<&[usize]> = order.chunks(inner.batch_size).collect();
        let encoded: Vec<Vec<Encoded>> = chunks
            .par_iter()
            .enumerate()
            .map(|(k, chunk)| {
                let batch: Vec<&Tokenized> = chunk.iter().map(|&j| &tokenized[j]).collect();
                self.run_batch(&batch, k, embedding)
            })
            .collect::<Result<_>>()?;
        for (chunk, batch) in chunks.iter().zip(encoded) {
            for (&j, e) in chunk.iter().zip(batch) {
                fresh[j] = Some(Arc::new(e));
            }
        }
        inner
            .stats
            .encoded
            .fetch_add(todo.len() as u64, Ordering::Relaxed);
        {
            let mut cache = inner
                .cache
                .lock()
                .map_err(|_| Error::model("encoder cache poisoned"))?;
            if inner.cache_capacity > 0 && cache.len() + todo.len() > inner.cache_capacity {
                cache.clear();
            }
            for (slot, &i) in todo.iter().enumerate() {
                let e = fresh[slot].take();
                if let Some(e) = &e {
                    if inner.cache_capacity > 0 {
                        cache.insert(keys[i], e.clone());
                    }
                }
                results[i] = e;
            }
        }
        // Duplicates within this call take their first occurrence's result.
        let mut first: HashMap<u64, Arc<Encoded>> = HashMap::new();
        for (i, r) in results.iter().enumerate() {
            if let Some(r) = r {
                first.entry(keys[i]).or_insert_with(|| r.clone());
            }
        }
        let out = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| match r {
                Some(r) => Ok(r),
                None => first
                    .get(&keys[i])
                    .cloned()
                    .ok_or_else(|| Error::model("an encoded text went missing")),
            })
            .collect::<Result<Vec<_>>>()?;
        // Everything not run through the model came from the cache or from a
        // duplicate in this call.
        let reused = (texts.len() - todo.len()) as u64;
        inner.stats.cache_hits.fetch_add(reused, Ordering::Relaxed);
        Ok(out)
    }

    /// Takes a free session (trying each once), or waits for the one the
    /// batch number points at.
    fn session(&self, k: usize) -> Result<std::sync::MutexGuard<'_, Session>> {
        let sessions = &self.inner.sessions;
        for i in 0..sessions.len() {
            if let Ok(guard) = sessions[(k + i) % sessions.len()].try_lock() {
                return Ok(guard);
            }
        }
        sessions[k % sessions.len()]
            .lock()
            .map_err(|_| Error::model("the model session is poisoned"))
    }

    fn run_batch(&self, batch: &[&Tokenized], k: usize, embedding: bool) -> Result<Vec<Encoded>> {
        let inner = &*self.inner;
        let n = batch.len();
        let seq = batch.iter().map(|t| t.ids.len()).max().unwrap_or(1).max(1);
        let mut ids = vec![inner.pad_id; n * seq];
        let mut mask = vec![0i64; n * seq];
        let mut tokens = 0u64;
        let mut truncated = 0u64;
        for (r, t) in batch.iter().enumerate() {
            ids[r * seq..r * seq + t.ids.len()].copy_from_slice(&t.ids);
            for m in &mut mask[r * seq..r * seq + t.ids.len()] {
                *m = 1;
            }
            tokens += t.ids.len() as u64;
            truncated += u64::from(t.truncated);
        }
        inner.stats.tokens.fetch_add(tokens, Ordering::Relaxed);
        inner
            .stats
            .truncated
            .fetch_add(truncated, Ordering::Relaxed);
        inner.stats.batches.fetch_add(1, Ordering::Relaxed);
        let model_err = |e: ort::Error| Error::model_from(format!("inference failed: {e}"), e);
        let shape = [n, seq];
        let mut inputs: Vec<(String, ort::session::SessionInputValue<'_>)> = vec![
            (
                inner.config.inputs.input_ids.clone(),
                Tensor::from_array((shape, ids)).map_err(model_err)?.into(),
            ),
            (
                inner.config.inputs.attention_mask.clone(),
                Tensor::from_array((shape, mask.clone()))
                    .map_err(model_err)?
                    .into(),
            ),
        ];
        if let Some(tt) = &inner.config.inputs.token_type_ids {
            inputs.push((
                tt.clone(),
                Tensor::from_array((shape, vec![0i64; n * seq]))
                    .map_err(model_err)?
                    .into(),
            ));
        }
        if let Some(name) = &inner.config.inputs.embedding_wanted {
            inputs.push((
                name.clone(),
                Tensor::from_array(((), vec![embedding]))
                    .map_err(model_err)?
                    .into(),
            ));
        }
        let mut session = self.session(k)?;
        let outputs = session.run(inputs).map_err(model_err)?;
        let cfg = &inner.config;
        let mut embeddings: Vec<Vec<f32>> = vec![Vec::new(); n];
        // without `embedding` (the graph left it out) the vectors stay empty
        if let Some(name) = cfg.outputs.embedding.as_ref().filter(|_| embedding) {
            let (shape, data) = outputs[name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(model_err)?;
            let dim = shape.last().copied().unwrap_or(0) as usize;
            if dim == 0 || data.len() != n * dim {
                return Err(Error::model(format!(
                    "output `{name}` has shape {shape:?}, expected [{n}, dim]"
                )));
            }
            for (r, e) in embeddings.iter_mut().enumerate() {
                *e = data[r * dim..(r + 1) * dim].to_vec();
            }
        } else if let Some(name) = cfg.outputs.token_embeddings.as_ref().filter(|_| embedding) {
            let (shape, data) = outputs[name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(model_err)?;
            let dim = shape.last().copied().unwrap_or(0) as usize;
            if dim == 0 || data.len() != n * seq * dim {
                return Err(Error::model(format!(
                    "output `{name}` has shape {shape:?}, expected [{n}, {seq}, dim]"
                )));
            }
            for (r, e) in embeddings.iter_mut().enumerate() {
                *e = pool(
                    &data[r * seq * dim..(r + 1) * seq * dim],
                    &mask[r * seq..(r + 1) * seq],
                    dim,
                    cfg.pooling,
                );
            }
        }
        if cfg.normalize {
            for e in &mut embeddings {
                l2_normalize(e);
            }
        }
        let mut logits: Vec<Option<Vec<f32>>> = vec![None; n];
        if let Some(name) = &cfg.outputs.logits {
            let (shape, data) = outputs[name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(model_err)?;
            let k = cfg.labels.len();
            if data.len() != n * k {
                return Err(Error::model(format!(
                    "output `{name}` has shape {shape:?}, expected [{n}, {k}] for the {k} labels"
                )));
            }
            for (r, l) in logits.iter_mut().enumerate() {
                *l = Some(data[r * k..(r + 1) * k].to_vec());
            }
        }
        let mut itch: Vec<Option<f32>> = vec![None; n];
        if let Some(name) = &cfg.outputs.itch {
            let (shape, data) = outputs[name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(model_err)?;
            if data.len() != n {
                return Err(Error::model(format!(
                    "output `{name}` has shape {shape:?}, expected [{n}, 1]"
                )));
            }
            for (r, l) in itch.iter_mut().enumerate() {
                *l = Some(data[r]);
            }
        }
        Ok(embeddings
            .into_iter()
            .zip(logits)
            .zip(itch)
            .zip(batch)
            .map(|(((embedding, logits), itch), t)| Encoded {
                embedding,
                logits,
                itch,
                truncated: t.truncated,
            })
            .collect())
    }
}

/// [`Encoder::fingerprint`] without loading the model: the model directory,
/// the name in its `config.json` and the batch size the encoder would run.
pub fn fingerprint_of(dir: &Path, name: &str, batch_size: usize) -> String {
    let graph = dir.join("model.onnx");
    let (len, modified) = std::fs::metadata(&graph)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            (m.len(), t)
        })
        .unwrap_or((0, 0));
    format!(
        "{} batch={} graph={len}@{modified} vocmine={}",
        name,
        batch_size,
        env!("CARGO_PKG_VERSION")
    )
}

/// Pools token states `[seq, dim]` with an attention mask.
pub fn pool(states: &[f32], mask: &[i64], dim: usize, pooling: Pooling) -> Vec<f32> {
    match pooling {
        Pooling::Cls => states[..dim].to_vec(),
        Pooling::Mean => {
            let mut out = vec![0f32; dim];
            let mut count = 0f32;
            for (t, &m) in mask.iter().enumerate() {
                if m != 0 {
                    count += 1.0;
                    for (o, s) in out.iter_mut().zip(&states[t * dim..(t + 1) * dim]) {
                        *o += s;
                    }
                }
            }
            if count > 0.0 {
                for o in &mut out {
                    *o /= count;
                }
            }
            out
        }
    }
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pooling_respects_the_mask() {
        let states = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let v = pool(&states, &[1, 1, 0], 2, Pooling::Mean);
        assert_eq!(v, vec![2.0, 3.0]);
        let v = pool(&states, &[1, 1, 0], 2, Pooling::Cls);
        assert_eq!(v, vec![1.0, 2.0]);
    }

    #[test]
    fn normalize() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0, 0.0];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0, 0.0]);
    }

    #[test]
    fn config_validation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, r#"{"kind":"classifier","outputs":{"embedding":"e"}}"#).unwrap();
        let e = ModelConfig::load(&p).unwrap_err();
        assert!(e.to_string().contains("needs outputs.logits"), "{e}");
        std::fs::write(&p, r#"{"kind":"encoder","outputs":{"logits":"l"}}"#).unwrap();
        assert!(ModelConfig::load(&p)
            .unwrap_err()
            .to_string()
            .contains("needs labels"));
        std::fs::write(
            &p,
            r#"{"kind":"encoder","outputs":{"embedding":"e"},"prefix":"query: "}"#,
        )
        .unwrap();
        let c = ModelConfig::load(&p).unwrap();
        assert_eq!(
            (c.max_length, c.normalize, c.pooling),
            (512, true, Pooling::Mean)
        );
    }

    #[test]
    fn missing_model_names_the_setup_command() {
        let dir = tempfile::tempdir().unwrap();
        let e = Encoder::builder(dir.path()).build().unwrap_err();
        assert!(e.to_string().contains(SETUP_COMMAND), "{e}");
        assert!(matches!(e, Error::ModelNotFound { .. }));
    }

    #[test]
    fn missing_runtime_is_an_error_not_a_panic() {
        let e = find_onnxruntime(
            Some(Path::new("/nonexistent/libonnxruntime.so")),
            Path::new("/nonexistent"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("ORT_DYLIB_PATH"), "{e}");
    }
}
