//! Contract: the batch stages are seams. An [`Embedder`] of the caller's
//! drives the encoder stage without the `onnx` feature or a model; a
//! [`Stage`] of the caller's runs after the built-in ones, over batches and
//! in `Engine::analyze`, sees what they wrote, and gets the clause terms it
//! asks for; the working state never reaches the JSON output.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use vocmine::batch::{Analyzed, Context, Embedding, Stage};
use vocmine::neural::embedder::Embedder;
use vocmine::neural::encoded::Encoded;
use vocmine::neural::sentiment::{LabelMap, Polarity, RecordModel, VoiceType};
use vocmine::{Engine, Outcome, Record};

/// Logits from words: "broken" is negative, "great" positive, else neutral;
/// "please add" raises the itch logit. The embedding is 3 letter counts.
#[derive(Debug, Default)]
struct WordEmbedder {
    calls: AtomicUsize,
}

impl WordEmbedder {
    fn one(text: &str) -> Embedding {
        let t = text.to_lowercase();
        let logits = if t.contains("broken") {
            vec![4.0, 0.0, 0.0]
        } else if t.contains("great") {
            vec![0.0, 0.0, 4.0]
        } else {
            vec![0.0, 4.0, 0.0]
        };
        let count = |c: char| t.chars().filter(|&x| x == c).count() as f32;
        Arc::new(Encoded {
            embedding: vec![count('a'), count('e'), count('o')],
            logits: Some(logits),
            itch: Some(if t.contains("please add") { 5.0 } else { -5.0 }),
            truncated: false,
        })
    }
}

impl Embedder for WordEmbedder {
    fn encode(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(texts.iter().map(|t| WordEmbedder::one(t)).collect())
    }

    fn encode_whole(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.encode(texts)
    }

    fn sentiment_labels(&self) -> Option<LabelMap> {
        LabelMap::from_labels(&["negative".into(), "neutral".into(), "positive".into()])
    }

    fn record_model(&self) -> Option<&RecordModel> {
        None
    }
}

/// [`WordEmbedder`] with a record combiner that is sure when the clauses
/// agree (it follows the clause mean) and a `text_gate`; it records the
/// whole texts it is given.
#[derive(Debug)]
struct GatedEmbedder {
    words: WordEmbedder,
    model: RecordModel,
    whole: std::sync::Mutex<Vec<String>>,
}

impl GatedEmbedder {
    fn new(gate: f32) -> GatedEmbedder {
        let features = vocmine::neural::sentiment::RECORD_FEATURES;
        let mut weights = vec![vec![0.0; features.len()]; 3];
        weights[0][3] = 10.0; // mean_negative
        weights[1][4] = 10.0; // mean_neutral
        weights[2][5] = 10.0; // mean_positive
        GatedEmbedder {
            words: WordEmbedder::default(),
            model: RecordModel {
                features: features.iter().map(|f| f.to_string()).collect(),
                labels: vec!["negative".into(), "neutral".into(), "positive".into()],
                weights,
                bias: vec![0.0; 3],
                source: "test".into(),
                text_gate: Some(gate),
            },
            whole: Default::default(),
        }
    }

    fn whole(&self) -> Vec<String> {
        self.whole.lock().expect("lock").clone()
    }
}

impl Embedder for GatedEmbedder {
    fn encode(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.words.encode(texts)
    }

    fn encode_whole(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        let mut w = self.whole.lock().expect("lock");
        w.extend(texts.iter().map(|t| t.to_string()));
        self.words.encode(texts)
    }

    fn sentiment_labels(&self) -> Option<LabelMap> {
        self.words.sentiment_labels()
    }

    fn record_model(&self) -> Option<&RecordModel> {
        Some(&self.model)
    }
}

/// Writes into `meta` what it saw of the earlier stages.
#[derive(Debug)]
struct Witness {
    terms: bool,
}

impl Stage for Witness {
    fn name(&self) -> &'static str {
        "witness"
    }

    fn needs_terms(&self, _conversation: bool) -> bool {
        self.terms
    }

    fn run(&self, a: &mut Analyzed, _cx: &Context<'_>) {
        let kept = (0..a.clauses.len()).all(|i| a.work.terms(i).is_some());
        let embedded = (0..a.clauses.len()).all(|i| a.work.embedding(i).is_some());
        a.analysis.meta = Some(serde_json::json!({
            "sentiment": a.sentiment.map(|s| s.label.as_str()),
            "terms": kept,
            "embedded": embedded,
        }));
    }
}

fn ok(o: &Outcome) -> &Analyzed {
    o.analyzed().expect("analyzed")
}

#[test]
fn an_embedder_of_the_callers_drives_sentiment_voice_and_record_label() {
    let embedder = Arc::new(WordEmbedder::default());
    let engine = Engine::builder()
        .embedder(embedder.clone())
        .build()
        .expect("engine");
    assert!(engine.has_encoder());
    let names: Vec<&str> = engine.stages().map(|s| s.name()).collect();
    assert_eq!(names, ["encoder", "conversation"]);
    let out = engine
        .analyze_batch(&[
            Record::text(
                "a",
                "The screen is broken. The seats are great. Please add a USB port",
            ),
            Record::text("b", "great service"),
        ])
        .expect("batch");
    // one clause pass and one whole-text pass for the whole batch
    assert_eq!(embedder.calls.load(Ordering::Relaxed), 2);
    let a = ok(&out[0]);
    let labels: Vec<Polarity> = a
        .clauses
        .iter()
        .map(|c| c.sentiment.expect("clause sentiment").label)
        .collect();
    assert_eq!(
        labels,
        [Polarity::Negative, Polarity::Positive, Polarity::Neutral]
    );
    let voices: Vec<VoiceType> = a
        .clauses
        .iter()
        .map(|c| c.voice.expect("voice").label)
        .collect();
    assert_eq!(
        voices,
        [VoiceType::Pain, VoiceType::Delight, VoiceType::Itch]
    );
    let counts = a.voices.expect("voice counts");
    assert_eq!((counts.pain, counts.itch, counts.delight), (1, 1, 1));
    // the record has its whole text encoded: three clauses
    assert!(a.work.text.is_some());
    assert!(a.sentiment.expect("record sentiment").text.is_some());
    // one clause: no whole-text input, the clause is the text
    let b = ok(&out[1]);
    assert!(b.work.text.is_none());
    assert_eq!(b.sentiment.expect("sentiment").label, Polarity::Positive);
    // the working state is not part of the output line
    let line = serde_json::to_string(&out[0]).expect("json");
    let plain = serde_json::to_string(&a.analysis).expect("json");
    assert_eq!(line, plain);
    assert!(!line.contains("embedding"), "{line}");
}

#[test]
fn a_registered_stage_runs_last_sees_earlier_stages_and_gets_its_terms() {
    let engine = Engine::builder()
        .embedder(Arc::new(WordEmbedder::default()))
        .stage(Arc::new(Witness { terms: true }))
        .build()
        .expect("engine");
    let names: Vec<&str> = engine.stages().map(|s| s.name()).collect();
    assert_eq!(names, ["encoder", "conversation", "witness"]);
    let out = engine
        .analyze_batch(&[Record::text("a", "It is broken. Really broken")])
        .expect("batch");
    let meta = ok(&out[0]).meta.clone().expect("witness ran");
    assert_eq!(
        meta,
        serde_json::json!({"sentiment": "negative", "terms": true, "embedded": true})
    );
    // Engine::analyze runs the same stages on one record (the encoder needs
    // a batch, so there is no sentiment there)
    let a = engine
        .analyze(&Record::text("a", "It is broken. Really broken"))
        .expect("analysis");
    assert_eq!(
        a.meta.expect("witness ran"),
        serde_json::json!({"sentiment": null, "terms": true, "embedded": false})
    );
    // without a stage that reads them, text records keep no terms
    let bare = Engine::builder()
        .stage(Arc::new(Witness { terms: false }))
        .build()
        .expect("engine");
    let a = bare
        .analyze(&Record::text("a", "It is broken"))
        .expect("analysis");
    assert_eq!(a.meta.expect("witness ran")["terms"], false);
    assert!(!bare.has_encoder());
}

#[test]
fn the_same_batch_output_for_one_and_four_threads_with_a_registered_stage() {
    let records: Vec<Record> = (0..200)
        .map(|i| {
            let t = match i % 3 {
                0 => "The app is broken again, please add offline mode",
                1 => "Great support. Fast answer",
                _ => "Доставка сломана. Great courier though",
            };
            Record::text(format!("r{i}"), t)
        })
        .collect();
    let run = |threads: usize| -> Vec<String> {
        let engine = Engine::builder()
            .threads(threads)
            .embedder(Arc::new(WordEmbedder::default()))
            .stage(Arc::new(Witness { terms: true }))
            .build()
            .expect("engine");
        engine
            .analyze_batch(&records)
            .expect("batch")
            .iter()
            .map(|o| serde_json::to_string(o).expect("json"))
            .collect()
    };
    assert_eq!(run(1), run(4));
}

#[test]
fn whole_texts_are_encoded_only_where_the_clauses_leave_the_sentiment_open() {
    use vocmine::neural::stage::WholeText;
    let records = [
        Record::text("agree", "The food is great. The view is great"),
        Record::text("open", "The food is great. The door is broken"),
        Record::text("one", "great service"),
    ];
    let run = |b: vocmine::EngineBuilder, e: &Arc<GatedEmbedder>| {
        let engine = b.embedder(e.clone()).build().expect("engine");
        let out = engine.analyze_batch(&records).expect("batch");
        out.iter()
            .map(|o| {
                let a = ok(o);
                let s = a.sentiment.expect("sentiment");
                (s.label, s.text.is_some(), a.work.text.is_some())
            })
            .collect::<Vec<_>>()
    };
    // default: the agreeing clauses decide (the combiner is sure), the
    // disagreeing ones do not, and a one-clause record is its clause
    let e = Arc::new(GatedEmbedder::new(0.9));
    let got = run(Engine::builder(), &e);
    assert_eq!(e.whole(), ["The food is great. The door is broken"]);
    assert_eq!(got[0], (Polarity::Positive, false, false));
    assert_eq!((got[1].1, got[1].2), (true, true));
    assert_eq!(got[2], (Polarity::Positive, false, false));
    // always (as for a store): every record of two or more clauses is
    // encoded for its embedding, the sentiment is the same
    for b in [
        Engine::builder().whole_text(WholeText::Always),
        Engine::builder().keep_terms(true),
    ] {
        let e = Arc::new(GatedEmbedder::new(0.9));
        let always = run(b, &e);
        assert_eq!(e.whole().len(), 2);
        assert_eq!(always[0], (Polarity::Positive, false, true));
        assert_eq!(always[1], got[1]);
    }
    let json = |b: vocmine::EngineBuilder| {
        let engine = b
            .embedder(Arc::new(GatedEmbedder::new(0.9)))
            .build()
            .expect("engine");
        serde_json::to_string(&engine.analyze_batch(&records).expect("batch")).expect("json")
    };
    assert_eq!(
        json(Engine::builder()),
        json(Engine::builder().whole_text(WholeText::Always))
    );
    // as evidence (training the combiner): every whole text is read
    let e = Arc::new(GatedEmbedder::new(0.9));
    let got = run(
        Engine::builder().whole_text(WholeText::AlwaysAsEvidence),
        &e,
    );
    assert_eq!(e.whole().len(), 2);
    assert_eq!(got[0], (Polarity::Positive, true, true));
    // a gate no combiner reaches encodes both
    let e = Arc::new(GatedEmbedder::new(1.0));
    run(Engine::builder(), &e);
    assert_eq!(e.whole().len(), 2);
}

/// [`WordEmbedder`] whose heads-only calls leave the embedding out, as the
/// default model's graph does; it counts the calls of each kind.
#[derive(Debug, Default)]
struct LeanEmbedder {
    words: WordEmbedder,
    full: AtomicUsize,
    heads: AtomicUsize,
}

impl Embedder for LeanEmbedder {
    fn encode(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.full.fetch_add(texts.len(), Ordering::Relaxed);
        self.words.encode(texts)
    }

    fn encode_whole(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.encode(texts)
    }

    fn encode_heads(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.heads.fetch_add(texts.len(), Ordering::Relaxed);
        Ok(self
            .words
            .encode(texts)?
            .into_iter()
            .map(|e| {
                Arc::new(Encoded {
                    embedding: Vec::new(),
                    ..Encoded::clone(&e)
                })
            })
            .collect())
    }

    fn encode_whole_heads(&self, texts: &[&str]) -> vocmine::Result<Vec<Embedding>> {
        self.encode_heads(texts)
    }

    fn sentiment_labels(&self) -> Option<LabelMap> {
        self.words.sentiment_labels()
    }

    fn record_model(&self) -> Option<&RecordModel> {
        None
    }
}

#[test]
fn embeddings_are_computed_only_where_something_reads_them() {
    use vocmine::neural::stage::{Embeddings, WholeText};
    let records = [
        Record::text("a", "The food is great. The door is broken"),
        Record::text("b", "please add a shuttle"),
    ];
    // (whether the engine computes embeddings, which clauses got one, full
    // and heads-only texts encoded, the JSON output)
    let run = |b: vocmine::EngineBuilder| {
        let e = Arc::new(LeanEmbedder::default());
        let engine = b.embedder(e.clone()).build().expect("engine");
        let out = engine.analyze_batch(&records).expect("batch");
        let embedded: Vec<bool> = out
            .iter()
            .flat_map(|o| {
                let a = ok(o);
                (0..a.clauses.len())
                    .map(|i| a.work.embedding(i).is_some_and(|e| !e.embedding.is_empty()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let full = e.full.load(Ordering::Relaxed);
        let heads = e.heads.load(Ordering::Relaxed);
        (
            engine.computes_embeddings(),
            embedded,
            full,
            heads,
            serde_json::to_string(&out).expect("json"),
        )
    };
    let when_read = || Engine::builder().embeddings(Embeddings::WhenRead);
    // nothing reads them: heads only, the output is the same as always
    let (computes, embedded, full, heads, lean_json) = run(when_read());
    assert!(!computes);
    assert_eq!(embedded, [false, false, false]);
    assert_eq!((full, heads), (0, 4), "3 clauses and a whole text");
    let (computes, embedded, full, heads, always_json) = run(Engine::builder());
    assert!(computes);
    assert_eq!(embedded, [true, true, true]);
    assert_eq!((full, heads), (4, 0));
    assert_eq!(lean_json, always_json);
    // a store (kept terms), a stage of the caller's, whole-text clustering
    for b in [
        when_read().keep_terms(true),
        when_read().stage(Arc::new(Witness { terms: false })),
        when_read().whole_text(WholeText::Always),
    ] {
        let (_, embedded, _, heads, _) = run(b);
        assert_eq!(embedded, [true, true, true]);
        assert_eq!(heads, 0);
    }
    // the built-in conversation stage reads none; an engine made lean
    // computes them again on request
    let engine = when_read()
        .embedder(Arc::new(LeanEmbedder::default()))
        .build()
        .expect("engine");
    assert!(!engine.computes_embeddings());
    assert!(engine
        .with_embeddings(Embeddings::Always)
        .computes_embeddings());
}
