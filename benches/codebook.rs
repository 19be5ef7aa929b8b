//! The codebook stage alone: `Codebook::classify` per customer clause of the
//! sample corpus (terms precomputed by the engine's segmenter, as a store
//! keeps them), rules only and with exemplar / learned evidence over
//! synthetic 384-dim embeddings; and `Codebook::compile`.
//!
//! No neural model is needed: exemplars are embedded by a deterministic fake
//! encoder (hash-seeded random unit vectors), which exercises the same dot
//! products as real embeddings would.

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vocmine::stages::codebook::{ClauseTerms, LearnedCode, LearnedModel};
use vocmine::{Codebook, CodebookSpec, Engine, Role};

const DIM: usize = 384;
const ENCODER: &str = "multilingual-e5-small";

fn codebook_path() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpora/codebooks/automotive.yaml"
    )
    .to_string()
}

/// splitmix64: a tiny deterministic generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A unit vector seeded by `seed` (uniform components, then normalized).
fn unit_vector(seed: u64) -> Vec<f32> {
    let mut s = seed;
    let mut v: Vec<f32> = (0..DIM)
        .map(|_| (splitmix(&mut s) >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// A fake text embedding: a shared direction plus a hash-seeded random one,
/// normalized. Like real sentence embeddings, any two are similar (cosine
/// about 0.5 here, 0.92-0.97 for e5), and the centred similarity that the
/// exemplar evidence reads varies from text to text, so that some clauses
/// pass the exemplar threshold and most do not.
fn fake_embedding(text: &str) -> Vec<f32> {
    let common = unit_vector(0xc0ffee);
    let noise = unit_vector(fnv1a(text));
    let mut v: Vec<f32> = common.iter().zip(&noise).map(|(a, b)| a + b).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// The fake encoder: one hash-seeded unit vector per text.
fn fake_embed(texts: &[&str]) -> vocmine::Result<Vec<Vec<f32>>> {
    Ok(texts.iter().map(|t| fake_embedding(t)).collect())
}

/// The customer clauses of corpora/sample.jsonl, segmented by an engine
/// with the automotive codebook (its Chinese terms in the dictionary), as
/// `analyze --store` keeps them.
fn sample_clauses(engine: &Engine) -> Vec<Arc<ClauseTerms>> {
    let records = support::sample_records();
    let out = engine.analyze_batch(&records).unwrap();
    out.iter()
        .filter_map(|o| o.analyzed())
        .flat_map(|a| a.clauses.iter().zip(&a.work.clauses))
        .filter(|(c, _)| c.role == Role::Customer)
        .filter_map(|(_, w)| w.terms.clone())
        .collect()
}

/// A learned-classifier file for every leaf code of `cb`, with random
/// weights (small, so that most clauses fall below 0.05 as real ones do),
/// and random weights on the lexical features `terms` (none when empty).
fn fake_learned(cb: &Codebook, dir: &std::path::Path, terms: &[String]) -> String {
    let codes = cb
        .leaf_ids()
        .into_iter()
        .enumerate()
        .map(|(i, id)| LearnedCode {
            code: id.to_string(),
            positives: 10,
            w: unit_vector(1000 + i as u64)
                .into_iter()
                .map(|x| x * 4.0)
                .collect(),
            b: -3.0,
            rule_w: 4.0,
            exemplar_w: 10.0,
            heldout_f1: 0.0,
            baseline_f1: 0.0,
            term_w: unit_vector(2000 + i as u64)
                .into_iter()
                .cycle()
                .take(terms.len())
                .collect(),
        })
        .collect();
    let m = LearnedModel {
        codebook: cb.name().to_string(),
        encoder: ENCODER.to_string(),
        dim: DIM,
        examples: 100,
        codes,
        points: None,
        terms: terms.to_vec(),
    };
    let path = dir.join(if terms.is_empty() {
        "automotive.learned.json"
    } else {
        "automotive.terms.learned.json"
    });
    m.save(&path).unwrap();
    path.to_str().unwrap().to_string()
}

fn bench(c: &mut Criterion) {
    let spec = CodebookSpec::load(codebook_path()).unwrap();
    let engine = Engine::builder()
        .codebook(spec.clone())
        .keep_terms(true)
        .threads(1)
        .build()
        .unwrap();
    let clauses = sample_clauses(&engine);
    let rules = engine.codebook().unwrap();
    let embeddings: Vec<Vec<f32>> = clauses.iter().map(|t| fake_embedding(&t.folded)).collect();

    let embed: vocmine::stages::codebook::EmbedFn<'_> = &fake_embed;
    let exemplars =
        Codebook::compile(spec.clone(), engine.segmenter(), Some((embed, ENCODER))).unwrap();
    assert!(exemplars.uses_embeddings());
    let tmp = tempfile::tempdir().unwrap();
    let mut learned_spec = spec.clone();
    learned_spec.settings.learned = Some(fake_learned(rules, tmp.path(), &[]));
    let learned = Codebook::compile(
        learned_spec.clone(),
        engine.segmenter(),
        Some((embed, ENCODER)),
    )
    .unwrap();
    assert!(learned.has_learned());
    // The same with lexical features: those of two or more sample clauses.
    let mut counts = std::collections::BTreeMap::new();
    for t in &clauses {
        for f in vocmine::stages::codebook::lexical_features(t) {
            *counts.entry(f.to_string()).or_insert(0usize) += 1;
        }
    }
    let terms: Vec<String> = counts
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .map(|(t, _)| t)
        .collect();
    learned_spec.settings.learned = Some(fake_learned(rules, tmp.path(), &terms));
    let lexical =
        Codebook::compile(learned_spec, engine.segmenter(), Some((embed, ENCODER))).unwrap();

    // How many clauses each variant codes (printed once, for the record).
    let coded = |cb: &Codebook, emb: bool| {
        clauses
            .iter()
            .zip(&embeddings)
            .filter(|(t, e)| !cb.classify(t, emb.then_some(e.as_slice()), None).is_empty())
            .count()
    };
    eprintln!(
        "codebook bench: {} customer clauses; coded: rules {} · +exemplars {} · +learned {} · \
         +{} terms {}",
        clauses.len(),
        coded(rules, false),
        coded(&exemplars, true),
        coded(&learned, true),
        terms.len(),
        coded(&lexical, true)
    );

    let mut g = c.benchmark_group("codebook");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(clauses.len() as u64));
    g.bench_function("classify_rules_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &clauses {
                n += black_box(rules.classify(black_box(t), None, None)).len();
            }
            n
        })
    });
    g.bench_function("classify_rules_exemplars_384d", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (t, e) in clauses.iter().zip(&embeddings) {
                n += black_box(exemplars.classify(black_box(t), Some(e), None)).len();
            }
            n
        })
    });
    g.bench_function("classify_rules_exemplars_learned_384d", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (t, e) in clauses.iter().zip(&embeddings) {
                n += black_box(learned.classify(black_box(t), Some(e), None)).len();
            }
            n
        })
    });
    g.bench_function("classify_rules_exemplars_learned_terms_384d", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (t, e) in clauses.iter().zip(&embeddings) {
                n += black_box(lexical.classify(black_box(t), Some(e), None)).len();
            }
            n
        })
    });
    // The review loop over the same clauses: candidates of every code and
    // the pick (`codebook review` without the store reading).
    g.bench_function("review_pick_384d", |b| {
        let voice = vocmine::neural::sentiment::Voice::new(
            &vocmine::neural::sentiment::Sentiment::from_probs(vocmine::neural::sentiment::Probs {
                negative: 0.8,
                neutral: 0.1,
                positive: 0.1,
            }),
            Some(0.05),
            false,
        );
        b.iter(|| {
            let opts = vocmine::stages::codebook::ReviewOptions {
                size: 50,
                ..Default::default()
            };
            let mut p = vocmine::stages::codebook::ReviewPicker::new(&learned, opts).unwrap();
            for (i, (t, e)) in clauses.iter().zip(&embeddings).enumerate() {
                p.add(vocmine::stages::codebook::ReviewClause {
                    id: "r",
                    clause: i as u32,
                    turn: None,
                    start: 0,
                    end: 1,
                    language: "zh",
                    text: &t.folded,
                    context: "",
                    terms: t,
                    embedding: Some(e),
                    voice: Some(&voice),
                });
            }
            black_box(p.finish()).len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("codebook_compile");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g.bench_function("automotive_rules", |b| {
        b.iter(|| black_box(Codebook::compile(spec.clone(), engine.segmenter(), None).unwrap()))
    });
    g.bench_function("automotive_fake_exemplar_embeddings", |b| {
        b.iter(|| {
            black_box(
                Codebook::compile(spec.clone(), engine.segmenter(), Some((embed, ENCODER)))
                    .unwrap(),
            )
        })
    });
    g.bench_function("load_yaml_and_compile", |b| {
        b.iter(|| {
            let s = CodebookSpec::load(codebook_path()).unwrap();
            black_box(Codebook::compile(s, engine.segmenter(), None).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
