//! The engine: built once through a validating builder, shared across
//! threads, analyzes one record or a batch.
//!
//! ```
//! use vocmine::{Engine, Record};
//!
//! let engine = Engine::builder().languages(["zh", "ru", "en"]).build()?;
//! let out = engine.analyze(&Record::text("r1", "菜很好吃，但是等了一个小时"))?;
//! assert_eq!(out.language.code(), "zh");
//! assert_eq!(out.clauses.len(), 2);
//! assert_eq!(out.clauses[1].text, "但是等了一个小时");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::batch::{Analyzed, ClauseWork, Context, Outcome, Stage, Work};
use crate::contract::output::{Analysis, Clause, Failure, RecordKind, TokenOut, TurnAnalysis};
use crate::contract::record::{Body, Record, Role};
use crate::contract::redaction::Redaction;
use crate::error::{Error, RecordError, Result};
use crate::neural::embedder::Embedder;
use crate::neural::stage::EncoderStage;
use crate::text::clauses::{ClauseSplit, ClauseSplitterBuilder, RuleClauseSplitter};
use crate::text::language::{
    Detection, LanguageIdentifier, LanguageIdentifierBuilder, LanguageVote,
    ScriptLanguageIdentifier,
};
use crate::text::normalize::{Normalized, Normalizer};
use crate::text::redact::Redactor;
use crate::text::tokens::{JiebaSegmenter, Segment, SegmenterBuilder};

/// Builds an [`Engine`]; `build()` validates every setting.
#[derive(Debug, Default)]
pub struct EngineBuilder {
    languages: LanguageIdentifierBuilder,
    clauses: ClauseSplitterBuilder,
    segmenter: SegmenterBuilder,
    identifier: Option<Box<dyn LanguageIdentifier>>,
    splitter: Option<Box<dyn ClauseSplit>>,
    custom_segmenter: Option<Box<dyn Segment>>,
    tokens: bool,
    threads: Option<usize>,
    traditional_share: Option<f32>,
    #[cfg(feature = "onnx")]
    encoder: Option<crate::neural::encoder::Encoder>,
    embedder: Option<Arc<dyn Embedder>>,
    encode_all_speakers: bool,
    whole_text: Option<crate::neural::stage::WholeText>,
    embeddings: crate::neural::stage::Embeddings,
    codebook: Option<crate::stages::codebook::CodebookSpec>,
    keep_terms: bool,
    conversation_cues: Option<crate::stages::conversation::ConversationCues>,
    alerts: Option<crate::stages::alerts::AlertSpec>,
    stages: Vec<Arc<dyn Stage>>,
    redactor: Option<crate::text::redact::RedactorBuilder>,
}

impl EngineBuilder {
    /// Language allowlist (ISO 639-1 codes, or `all`); default `zh, ru, en`.
    pub fn languages<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.languages = self.languages.languages(codes);
        self
    }

    /// Share of traditional-only Han characters from which Chinese is `Hant` (default 0.1).
    pub fn traditional_share(mut self, share: f32) -> Self {
        self.languages = self.languages.traditional_share(share);
        self.traditional_share = Some(share);
        self
    }

    /// Replaces the contrast connectives that start a new clause.
    pub fn connectives<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.clauses = self.clauses.connectives(words);
        self
    }

    /// Whether a comma between Chinese characters ends a clause (default true).
    pub fn split_cjk_commas(mut self, yes: bool) -> Self {
        self.clauses = self.clauses.split_cjk_commas(yes);
        self
    }

    /// Whether jieba's HMM guesses unknown Chinese words (default true).
    pub fn hmm(mut self, yes: bool) -> Self {
        self.segmenter = self.segmenter.hmm(yes);
        self
    }

    /// Adds a jieba user dictionary (`word [freq] [tag]` per line).
    pub fn user_dict(mut self, path: impl Into<PathBuf>) -> Self {
        self.segmenter = self.segmenter.user_dict(path);
        self
    }

    /// Adds words to the Chinese dictionary.
    pub fn words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.segmenter = self.segmenter.words(words);
        self
    }

    /// Tags Chinese words with jieba part-of-speech tags (default false;
    /// halves Chinese segmentation speed; `vocmine keywords` turns it on).
    pub fn pos_tags(mut self, yes: bool) -> Self {
        self.segmenter = self.segmenter.pos(yes);
        self
    }

    /// Includes tokens in each clause of the output (default false).
    pub fn tokens(mut self, yes: bool) -> Self {
        self.tokens = yes;
        self
    }

    /// Adds the neural encoder: customer clauses get embeddings (and the
    /// model's extra outputs) in [`Engine::analyze_batch`] and streaming runs.
    #[cfg(feature = "onnx")]
    pub fn encoder(mut self, encoder: crate::neural::encoder::Encoder) -> Self {
        self.encoder = Some(encoder);
        self
    }

    /// Adds an encoder of any kind (an [`Embedder`]; the ONNX encoder is
    /// [`EngineBuilder::encoder`]): the encoder stage runs it over each
    /// batch. Replaces the ONNX encoder as the stage's model (the ONNX
    /// encoder, if set, still embeds the codebook's exemplars).
    pub fn embedder(mut self, embedder: Arc<dyn Embedder>) -> Self {
        self.embedder = Some(embedder);
        self
    }

    /// Registers a batch stage of the caller's: it runs after the built-in
    /// ones (encoder, codebook, conversation, alerts), in registration
    /// order, over every batch and in [`Engine::analyze`].
    pub fn stage(mut self, stage: Arc<dyn Stage>) -> Self {
        self.stages.push(stage);
        self
    }

    /// Encodes the clauses of every speaker, not only the customer's (default false).
    pub fn encode_all_speakers(mut self, yes: bool) -> Self {
        self.encode_all_speakers = yes;
        self
    }

    /// When a record's or turn's whole text is one more encoder input
    /// (default: [`WholeText::Always`](crate::neural::stage::WholeText) for
    /// an engine that keeps terms for a store, whose records keep the
    /// whole-text embedding; otherwise
    /// [`WholeText::WhenUndecided`](crate::neural::stage::WholeText): only
    /// when the clause evidence alone does not decide the sentiment).
    pub fn whole_text(mut self, when: crate::neural::stage::WholeText) -> Self {
        self.whole_text = Some(when);
        self
    }

    /// When the encoder computes embeddings (default
    /// [`Embeddings::Always`](crate::neural::stage::Embeddings)); with
    /// [`Embeddings::WhenRead`](crate::neural::stage::Embeddings) only when
    /// a stage, a store or whole-text clustering reads them, which spares
    /// the default model 25–31% of its time per text and changes no
    /// sentiment, voice type or code.
    pub fn embeddings(mut self, when: crate::neural::stage::Embeddings) -> Self {
        self.embeddings = when;
        self
    }

    /// Threads for batch analysis (default: rayon's global pool, one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Replaces the language identification stage.
    pub fn language_identifier(mut self, stage: Box<dyn LanguageIdentifier>) -> Self {
        self.identifier = Some(stage);
        self
    }

    /// Replaces the clause splitting stage.
    pub fn clause_splitter(mut self, stage: Box<dyn ClauseSplit>) -> Self {
        self.splitter = Some(stage);
        self
    }

    /// Replaces the segmentation stage.
    pub fn segmenter(mut self, stage: Box<dyn Segment>) -> Self {
        self.custom_segmenter = Some(stage);
        self
    }

    /// Codes customer clauses with this codebook (compiled at `build()`:
    /// its Chinese terms join the segmenter's dictionary, its exemplars are
    /// embedded with the encoder when there is one).
    pub fn codebook(mut self, spec: crate::stages::codebook::CodebookSpec) -> Self {
        self.codebook = Some(spec);
        self
    }

    /// Keeps each clause's [`crate::stages::codebook::ClauseTerms`] (for stores and
    /// later reclassification) even without a codebook. Default false.
    pub fn keep_terms(mut self, yes: bool) -> Self {
        self.keep_terms = yes;
        self
    }

    /// Replaces the cues of the conversation features (default: the
    /// built-in ones, or the `conversation:` section of the alert rules).
    pub fn conversation_cues(
        mut self,
        cues: crate::stages::conversation::ConversationCues,
    ) -> Self {
        self.conversation_cues = Some(cues);
        self
    }

    /// Evaluates these alert rules on every analyzed record (compiled at
    /// `build()` with the engine's segmenter); each [`Analysis`] gets its
    /// `alerts`. A `conversation:` section of the rules replaces the
    /// conversation cues unless [`EngineBuilder::conversation_cues`] is set.
    pub fn alerts(mut self, spec: crate::stages::alerts::AlertSpec) -> Self {
        self.alerts = Some(spec);
        self
    }

    /// Redacts personal data ([`crate::text::redact`]) in every field of
    /// every record before it is analyzed: the output, and everything built
    /// from it, holds typed placeholders instead, with a `redactions` list
    /// per text and turn.
    /// `build()` compiles it (and fails on an unknown kind or an empty key).
    pub fn redact(mut self, redactor: crate::text::redact::RedactorBuilder) -> Self {
        self.redactor = Some(redactor);
        self
    }

    /// Validates the settings and builds the engine.
    pub fn build(self) -> Result<Engine> {
        let identifier: Box<dyn LanguageIdentifier> = match self.identifier {
            Some(s) => s,
            None => Box::new(self.languages.build()?),
        };
        let splitter: Box<dyn ClauseSplit> = match self.splitter {
            Some(s) => s,
            None => Box::new(self.clauses.build()?),
        };
        let segmenter: Box<dyn Segment> = match self.custom_segmenter {
            Some(s) => s,
            None => Box::new(self.segmenter.build()?),
        };
        let pool = match self.threads {
            None => None,
            Some(0) => return Err(Error::Config("threads must be at least 1".into())),
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Config(format!("cannot start {n} threads: {e}")))?,
            ),
        };
        let cues = match (self.conversation_cues, &self.alerts) {
            (Some(c), _) => c,
            (None, Some(spec)) => spec.conversation.clone().unwrap_or_default(),
            (None, None) => crate::stages::conversation::ConversationCues::default(),
        };
        let conversation = Arc::new(crate::stages::conversation::ConversationAnalyzer::compile(
            cues,
            segmenter.as_ref(),
        )?);
        let alerts = match self.alerts {
            Some(spec) => Some(Arc::new(crate::stages::alerts::AlertRules::compile(
                spec,
                segmenter.as_ref(),
            )?)),
            None => None,
        };
        #[cfg(feature = "onnx")]
        let embedder = self.embedder.clone().or_else(|| {
            self.encoder
                .clone()
                .map(|e| Arc::new(e) as Arc<dyn Embedder>)
        });
        #[cfg(not(feature = "onnx"))]
        let embedder = self.embedder.clone();
        let encoder_stage = match embedder {
            Some(e) => Some(Arc::new(
                EncoderStage::new(e, self.encode_all_speakers)?.with_whole_text(
                    self.whole_text.unwrap_or(if self.keep_terms {
                        crate::neural::stage::WholeText::Always
                    } else {
                        crate::neural::stage::WholeText::WhenUndecided
                    }),
                ),
            )),
            None => None,
        };
        let redactor = match self.redactor {
            Some(b) => Some(Arc::new(b.build()?)),
            None => None,
        };
        let engine = Engine {
            codebook: None,
            conversation,
            alerts,
            encoder_stage,
            embeddings: self.embeddings,
            inner: Arc::new(Inner {
                normalizer: Normalizer::new(),
                identifier,
                splitter,
                segmenter,
                tokens: self.tokens,
                traditional_share: self.traditional_share.unwrap_or(0.1),
                pool,
                #[cfg(feature = "onnx")]
                encoder: self.encoder,
                keep_terms: self.keep_terms,
                custom: self.stages,
                redactor,
            }),
        };
        match self.codebook {
            Some(spec) => engine.with_codebook(spec),
            None => Ok(engine),
        }
    }
}

struct Inner {
    redactor: Option<Arc<Redactor>>,
    normalizer: Normalizer,
    identifier: Box<dyn LanguageIdentifier>,
    splitter: Box<dyn ClauseSplit>,
    segmenter: Box<dyn Segment>,
    tokens: bool,
    traditional_share: f32,
    pool: Option<rayon::ThreadPool>,
    /// The ONNX encoder (also the model that embeds codebooks).
    #[cfg(feature = "onnx")]
    encoder: Option<crate::neural::encoder::Encoder>,
    keep_terms: bool,
    /// Batch stages registered by the caller, run after the built-in ones.
    custom: Vec<Arc<dyn Stage>>,
}

/// The analysis engine. Cloning is cheap (shared state); it is `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    /// The encoder stage, when the engine has an encoder.
    encoder_stage: Option<Arc<EncoderStage>>,
    /// When the encoder computes embeddings.
    embeddings: crate::neural::stage::Embeddings,
    codebook: Option<Arc<crate::stages::codebook::Codebook>>,
    conversation: Arc<crate::stages::conversation::ConversationAnalyzer>,
    alerts: Option<Arc<crate::stages::alerts::AlertRules>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("identifier", &self.inner.identifier)
            .field("splitter", &self.inner.splitter)
            .field("tokens", &self.inner.tokens)
            .finish()
    }
}

impl Engine {
    /// A builder with the defaults (languages zh, ru, en; HMM on; no tokens in output).
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// An engine with the default settings.
    pub fn new() -> Result<Engine> {
        Engine::builder().build()
    }

    /// The same engine with another codebook, compiled against this
    /// engine's segmenter and encoder (the engine itself is shared).
    pub fn with_codebook(&self, spec: crate::stages::codebook::CodebookSpec) -> Result<Engine> {
        let cb = self.compile_codebook(spec)?;
        Ok(Engine {
            codebook: Some(Arc::new(cb)),
            ..self.clone()
        })
    }

    /// The same engine with these alert rules (compiled against this
    /// engine's segmenter); a `conversation:` section of the rules replaces
    /// the conversation cues.
    pub fn with_alerts(&self, spec: crate::stages::alerts::AlertSpec) -> Result<Engine> {
        let segmenter = self.inner.segmenter.as_ref();
        let conversation = match &spec.conversation {
            Some(cues) => Arc::new(crate::stages::conversation::ConversationAnalyzer::compile(
                cues.clone(),
                segmenter,
            )?),
            None => self.conversation.clone(),
        };
        let rules = crate::stages::alerts::AlertRules::compile(spec, segmenter)?;
        Ok(Engine {
            conversation,
            alerts: Some(Arc::new(rules)),
            ..self.clone()
        })
    }

    /// The same engine, encoding records' and turns' whole texts `when`
    /// ([`EngineBuilder::whole_text`]); e.g. [`WholeText::Always`] to
    /// cluster records whole by their whole-text embedding.
    ///
    /// [`WholeText::Always`]: crate::neural::stage::WholeText::Always
    pub fn with_whole_text(&self, when: crate::neural::stage::WholeText) -> Engine {
        Engine {
            encoder_stage: self
                .encoder_stage
                .as_ref()
                .map(|s| Arc::new(EncoderStage::clone(s).with_whole_text(when))),
            ..self.clone()
        }
    }

    /// The same engine, computing embeddings `when`
    /// ([`EngineBuilder::embeddings`]); e.g.
    /// [`Embeddings::Always`](crate::neural::stage::Embeddings) for a caller
    /// that reads them from the analyses.
    pub fn with_embeddings(&self, when: crate::neural::stage::Embeddings) -> Engine {
        Engine {
            embeddings: when,
            ..self.clone()
        }
    }

    /// The engine's alert rules, if any.
    pub fn alerts(&self) -> Option<&crate::stages::alerts::AlertRules> {
        self.alerts.as_deref()
    }

    /// The conversation analyzer (its cues: [`crate::stages::conversation::ConversationAnalyzer::cues`]).
    pub fn conversation_analyzer(&self) -> &crate::stages::conversation::ConversationAnalyzer {
        &self.conversation
    }

    /// Compiles a codebook against this engine's segmenter and encoder.
    pub fn compile_codebook(
        &self,
        spec: crate::stages::codebook::CodebookSpec,
    ) -> Result<crate::stages::codebook::Codebook> {
        #[cfg(feature = "onnx")]
        if let Some(enc) = &self.inner.encoder {
            let name = enc.config().name.clone();
            return self.compile_embedded(spec, &name, &enc.fingerprint(), &|| Ok(enc.clone()));
        }
        crate::stages::codebook::Codebook::compile(spec, self.inner.segmenter.as_ref(), None)
    }

    /// Compiles a codebook like [`Engine::compile_codebook`], with the
    /// encoder in `model_dir` run at `batch_size`, but loads that encoder
    /// (`load`) only when the embedding cache ([`crate::stages::codebook::cache_dir`])
    /// lacks the codebook's exemplars, labels and descriptions: a job over a
    /// store (reclassify, review) needs no model in memory when they are
    /// cached. `model_dir`'s `config.json` names the encoder (checked
    /// against learned classifiers) without loading it.
    #[cfg(feature = "onnx")]
    pub fn compile_codebook_cached(
        &self,
        spec: crate::stages::codebook::CodebookSpec,
        model_dir: &std::path::Path,
        batch_size: usize,
        load: &dyn Fn() -> Result<crate::neural::encoder::Encoder>,
    ) -> Result<crate::stages::codebook::Codebook> {
        let config = crate::neural::encoder::ModelConfig::load(&model_dir.join("config.json"))?;
        let fingerprint =
            crate::neural::encoder::fingerprint_of(model_dir, &config.name, batch_size);
        self.compile_embedded(spec, &config.name, &fingerprint, load)
    }

    /// Compiles a codebook whose exemplars, labels and descriptions come
    /// from the embedding cache under `fingerprint`, else from the encoder
    /// `load` gives (called only on a miss).
    #[cfg(feature = "onnx")]
    fn compile_embedded(
        &self,
        spec: crate::stages::codebook::CodebookSpec,
        name: &str,
        fingerprint: &str,
        load: &dyn Fn() -> Result<crate::neural::encoder::Encoder>,
    ) -> Result<crate::stages::codebook::Codebook> {
        let dir = crate::stages::codebook::cache_dir();
        let embed = |texts: &[&str]| -> Result<Vec<Vec<f32>>> {
            crate::stages::codebook::cached_embeddings(dir.as_deref(), fingerprint, texts, |t| {
                let enc = load()?;
                Ok(self
                    .install(|| enc.encode(t))?
                    .into_iter()
                    .map(|e| e.embedding.clone())
                    .collect())
            })
        };
        crate::stages::codebook::Codebook::compile(
            spec,
            self.inner.segmenter.as_ref(),
            Some((&embed, name)),
        )
    }

    /// The engine's codebook, if any.
    pub fn codebook(&self) -> Option<&crate::stages::codebook::Codebook> {
        self.codebook.as_deref()
    }

    /// The engine's segmenter.
    pub fn segmenter(&self) -> &dyn Segment {
        self.inner.segmenter.as_ref()
    }

    /// Adds words to the Chinese segmentation dictionary at run time.
    pub fn add_words(&self, words: &[String]) {
        self.inner.segmenter.add_words(words);
    }

    /// Normalizes a text (see [`crate::text::normalize`]).
    pub fn normalize(&self, text: &str) -> Normalized {
        self.inner.normalizer.normalize(text)
    }

    /// Identifies the language of a text.
    pub fn identify(&self, text: &str) -> Detection {
        let n = self.inner.normalizer.normalize(text);
        self.inner.identifier.identify(n.text())
    }

    /// Analyzes one record: the per-record stages, then the codebook (if
    /// any) on the evidence available without the encoder (rules and
    /// cues), the conversation features (`turns` records) and the alerts
    /// (with alert rules). The encoder (embeddings, sentiment, exemplar and
    /// learned evidence) runs over batches: use [`Engine::analyze_batch`].
    pub fn analyze(&self, record: &Record) -> std::result::Result<Analysis, RecordError> {
        let mut a = self.analyze_record(record)?;
        let cx = self.context();
        for stage in self.stages() {
            stage.run(&mut a, &cx);
        }
        Ok(a.into_analysis())
    }

    /// The batch stages, in the order they run: the encoder (with one),
    /// the codebook (with one), the conversation features, the alerts
    /// (with rules), then the stages the caller registered.
    pub fn stages(&self) -> impl Iterator<Item = &dyn Stage> {
        let encoder = self.encoder_stage.as_deref().map(|s| s as &dyn Stage);
        let codebook = self.codebook.as_deref().map(|s| s as &dyn Stage);
        let conversation = Some(self.conversation.as_ref() as &dyn Stage);
        let alerts = self.alerts.as_deref().map(|s| s as &dyn Stage);
        [encoder, codebook, conversation, alerts]
            .into_iter()
            .flatten()
            .chain(self.inner.custom.iter().map(|s| s.as_ref()))
    }

    fn context(&self) -> Context<'_> {
        Context {
            segmenter: self.inner.segmenter.as_ref(),
            embeddings: self.computes_embeddings(),
        }
    }

    /// Whether the encoder computes embeddings
    /// ([`EngineBuilder::embeddings`]): always, or when a stage reads them
    /// (the encoder stage itself where it encodes whole texts for their
    /// embedding) or the engine keeps terms for a store.
    pub fn computes_embeddings(&self) -> bool {
        self.embeddings == crate::neural::stage::Embeddings::Always
            || self.inner.keep_terms
            || self.stages().any(|s| s.needs_embeddings())
    }

    /// Whether a record's clauses keep their terms: some stage reads them,
    /// or the engine was asked to keep them (a store).
    fn keeps_terms(&self, conversation: bool) -> bool {
        self.inner.keep_terms || self.stages().any(|s| s.needs_terms(conversation))
    }

    /// The per-record stages (normalize, language, clauses, tokens) of one
    /// record, without the batch stages of [`Engine::complete`]; the
    /// analysis comes with its working state (the clauses' terms).
    pub fn analyze_record(&self, record: &Record) -> std::result::Result<Analyzed, RecordError> {
        let Some(redactor) = self
            .inner
            .redactor
            .as_ref()
            .filter(|r| r.finds_in_record(record))
        else {
            return self.analyze_redacted(record, Vec::new(), Vec::new());
        };
        let r = redactor.redact_record(record);
        self.analyze_redacted(&r.record, r.record_redactions, r.turn_redactions)
    }

    /// The redactor, when the engine redacts personal data.
    pub fn redactor(&self) -> Option<&Redactor> {
        self.inner.redactor.as_deref()
    }

    /// A failure as the output may show it: with a redactor, its id and
    /// message redacted (a record that could not be read may still carry
    /// personal data in its id).
    pub fn redact_failure(&self, mut failure: Failure) -> Failure {
        if let Some(r) = &self.inner.redactor {
            if let crate::contract::record::RecordId::Str(id) = &failure.id {
                failure.id = crate::contract::record::RecordId::Str(
                    r.redact_identifier(id).text.into_owned(),
                );
            }
            failure.error.message = r.redact_message(&failure.error.message);
        }
        failure
    }

    fn analyze_redacted(
        &self,
        record: &Record,
        record_redactions: Vec<Redaction>,
        mut turn_redactions: Vec<Vec<Redaction>>,
    ) -> std::result::Result<Analyzed, RecordError> {
        record.validate()?;
        let mut out = Collected {
            clauses: Vec::new(),
            work: Vec::new(),
            keep_terms: self.keeps_terms(matches!(record.body, Body::Turns(_))),
        };
        let mut customer_vote = LanguageVote::default();
        let mut all_vote = LanguageVote::default();
        let (kind, text, turns) = match &record.body {
            Body::Text(t) => {
                let vote = self.analyze_text(t, None, None, Role::Customer, &mut out);
                customer_vote = vote;
                (RecordKind::Text, Some(t.clone()), None)
            }
            Body::Turns(turns) => {
                let mut analyzed = Vec::with_capacity(turns.len());
                for (i, turn) in turns.iter().enumerate() {
                    let role = turn.role();
                    let vote =
                        self.analyze_text(&turn.text, Some(i), Some(&turn.speaker), role, &mut out);
                    let (language, script) = vote.decide(self.inner.traditional_share);
                    all_vote.merge(&vote);
                    if role == Role::Customer {
                        customer_vote.merge(&vote);
                    }
                    analyzed.push(TurnAnalysis {
                        turn: i,
                        speaker: turn.speaker.clone(),
                        role,
                        language,
                        script,
                        time: turn.time.clone(),
                        sentiment: None,
                        text: turn.text.clone(),
                        redactions: turn_redactions
                            .get_mut(i)
                            .map(std::mem::take)
                            .unwrap_or_default(),
                    });
                }
                (RecordKind::Conversation, None, Some(analyzed))
            }
        };
        let vote = if customer_vote.is_empty() {
            &all_vote
        } else {
            &customer_vote
        };
        let (language, script) = vote.decide(self.inner.traditional_share);
        let analysis = Analysis {
            id: record.id.clone(),
            line: record.line,
            kind,
            language,
            script,
            languages: vote.shares(),
            channel: record.channel.clone(),
            touchpoint: record.touchpoint.clone(),
            time: record.time.clone(),
            customer: record.customer.clone(),
            scores: record.scores,
            meta: record.meta.clone(),
            text,
            turns,
            sentiment: None,
            voices: None,
            clauses: out.clauses,
            codes: None,
            points: None,
            conversation: None,
            alerts: Vec::new(),
            warnings: record.warnings.clone(),
            redactions: record_redactions,
        };
        Ok(Analyzed {
            analysis,
            work: Work {
                clauses: out.work,
                text: None,
            },
        })
    }

    /// The per-record stages of one record as an [`Outcome`] (a failure
    /// instead of an error); run [`Engine::complete`] over a batch of them
    /// for the encoder and codebook stages.
    pub fn outcome(&self, record: &Record) -> Outcome {
        match self.analyze_record(record) {
            Ok(a) => Outcome::Ok(Box::new(a)),
            Err(error) => Outcome::Err(self.redact_failure(Failure {
                id: record.id.clone(),
                line: record.line,
                error,
            })),
        }
    }

    /// Analyzes records in parallel; the results are in input order and do
    /// not depend on the thread count. With an encoder, the clauses of the
    /// whole batch are encoded together (sorted by length, deduplicated).
    pub fn analyze_batch(&self, records: &[Record]) -> Result<Vec<Outcome>> {
        let mut out: Vec<Outcome> =
            self.install(|| records.par_iter().map(|r| self.outcome(r)).collect());
        self.complete(&mut out)?;
        Ok(out)
    }

    /// Runs the batch stages ([`Engine::stages`]) over analyzed records, in
    /// order, in the engine's thread pool: the encoder (embeddings,
    /// sentiment, voice type), the codebook and points, the conversation
    /// features, the alerts, then the caller's stages. Streaming runs and
    /// [`Engine::analyze_batch`] call this. A stage's error (a model
    /// failure) fails the batch.
    pub fn complete(&self, outcomes: &mut [Outcome]) -> Result<()> {
        let cx = self.context();
        self.install(|| {
            for stage in self.stages() {
                stage.run_batch(outcomes, &cx)?;
            }
            Ok(())
        })
    }

    /// Empties the engine's caches (the encoder's results): a resumable run
    /// does at each checkpoint, so the records after it are analyzed from
    /// the same state whether or not the run was resumed there.
    pub fn clear_caches(&self) {
        #[cfg(feature = "onnx")]
        if let Some(e) = &self.inner.encoder {
            e.clear_cache();
        }
    }

    /// Whether the engine has a neural encoder.
    pub fn has_encoder(&self) -> bool {
        self.encoder_stage.is_some()
    }

    /// The encoder, if any.
    #[cfg(feature = "onnx")]
    pub fn encoder(&self) -> Option<&crate::neural::encoder::Encoder> {
        self.inner.encoder.as_ref()
    }

    /// Runs `f` in the engine's thread pool (the global pool when no thread
    /// count was set).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.inner.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Normalizes, splits, identifies and segments one text; appends its
    /// clauses and returns the language vote of the text.
    fn analyze_text(
        &self,
        original: &str,
        turn: Option<usize>,
        speaker: Option<&String>,
        role: Role,
        out: &mut Collected,
    ) -> LanguageVote {
        let inner = &*self.inner;
        let norm = inner.normalizer.normalize(original);
        let spans = inner.splitter.split(norm.text());
        let index = CharIndex::new(original);
        let mut vote = LanguageVote::default();
        for span in spans {
            let Some(clause_text) = norm.text().get(span.byte_start..span.byte_end) else {
                continue;
            };
            let det = inner.identifier.identify(clause_text);
            vote.add(&det);
            let (start, end) = norm.original_span(span.char_start, span.char_end);
            let folded = norm
                .folded()
                .get(span.byte_start..span.byte_end)
                .unwrap_or(clause_text);
            let tokens = inner.segmenter.segment(folded, det.language);
            // Terms are what the codebook, conversation and alert stages
            // match; keep them instead of cutting the clause again later.
            let terms = out
                .keep_terms
                .then(|| Arc::new(crate::text::terms::ClauseTerms::new(folded, &tokens)));
            let tokens = inner.tokens.then(|| {
                tokens
                    .iter()
                    .map(|t| {
                        let (s, e) =
                            norm.original_span(span.char_start + t.start, span.char_start + t.end);
                        TokenOut {
                            text: index.slice(original, s, e).to_owned(),
                            norm: t.norm.to_string(),
                            stem: t.stem.clone(),
                            kind: t.kind,
                            start: s,
                            end: e,
                            stop: t.stop,
                            negator: t.negator,
                            negated: t.negated,
                            pos: t.pos,
                        }
                    })
                    .collect()
            });
            out.clauses.push(Clause {
                text: index.slice(original, start, end).to_owned(),
                turn,
                speaker: speaker.cloned(),
                role,
                start,
                end,
                language: det.language,
                script: det.script,
                tokens,
                sentiment: None,
                voice: None,
                codes: Vec::new(),
            });
            out.work.push(ClauseWork {
                embedding: None,
                terms,
            });
        }
        vote
    }

    /// Whether clauses carry their tokens in the output.
    pub fn emits_tokens(&self) -> bool {
        self.inner.tokens
    }
}

/// The clauses of a record as its texts are analyzed, with their working
/// state.
struct Collected {
    clauses: Vec<Clause>,
    work: Vec<ClauseWork>,
    /// Whether to keep each clause's terms (some stage reads them).
    keep_terms: bool,
}

/// Maps char offsets of a string to byte offsets (identity for ASCII).
struct CharIndex {
    bytes: Option<Vec<usize>>,
}

impl CharIndex {
    fn new(s: &str) -> Self {
        if s.is_ascii() {
            return CharIndex { bytes: None };
        }
        let mut v: Vec<usize> = s.char_indices().map(|(b, _)| b).collect();
        v.push(s.len());
        CharIndex { bytes: Some(v) }
    }

    fn slice<'a>(&self, s: &'a str, start: usize, end: usize) -> &'a str {
        let (bs, be) = match &self.bytes {
            None => (start.min(s.len()), end.min(s.len())),
            Some(v) => {
                let last = v.len() - 1;
                (v[start.min(last)], v[end.min(last)])
            }
        };
        s.get(bs..be.max(bs)).unwrap_or("")
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Engine>();
    is::<ScriptLanguageIdentifier>();
    is::<RuleClauseSplitter>();
    is::<JiebaSegmenter>();
}
