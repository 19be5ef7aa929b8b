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
