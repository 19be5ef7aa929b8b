//! Contract of `vocmine cluster` (hot issues) on the sample corpus with the
//! real encoder: every customer clause has an assignment (outliers `null`,
//! counted, few); the same issue voiced in Chinese, Russian and English is
//! one cluster with labels per language; clusters carry keywords,
//! distinct representatives, sentiment, codes and hotness, ranked; poorly
//! coded clusters carry a YAML code that the codebook loader accepts; the
//! model (HNSW index, vectors, items) is saved beside the store and
//! `--extend` assigns new records without re-clustering; the result does not
//! depend on the thread count; bad inputs exit 2 naming the path.
//!
//! Needs the default model built by `python3 models/setup.py` (required
//! under CI, skipped elsewhere when missing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::{assert_ok, bin, lines, model_available, root};
#[path = "support/noise.rs"]
mod noise;

macro_rules! require_model {
    () => {
        if !model_available() {
            eprintln!("SKIPPED: default model not built; run `python3 models/setup.py`");
            return;
        }
    };
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(args: &[&str]) -> Output {
    bin()
        .current_dir(root())
        .args(args)
        .output()
        .expect("run vocmine")
}

fn automotive() -> String {
    s(&root().join("corpora/codebooks/automotive.yaml")).to_owned()
}

/// Analyzes `input` (with the encoder and the automotive codebook) into a
/// store under `dir`.
fn store_of(input: &Path, dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let o = run(&[
        "analyze",
        s(input),
        "--codebook",
        &automotive(),
        "--store",
        s(&store),
        "-o",
        s(&dir.join("out.jsonl")),
        "-q",
    ]);
    assert_ok(&o);
    store
}

fn cluster(args: &[&str]) -> Value {
    let o = run(args);
    assert_ok(&o);
    let i = args.iter().position(|a| *a == "-o").expect("-o");
    serde_json::from_str(&std::fs::read_to_string(args[i + 1]).unwrap()).unwrap()
}

/// Customer clauses of the analysis lines: (id, clause number).
fn customer_clauses(out: &Path) -> BTreeSet<(String, u64)> {
    let mut set = BTreeSet::new();
    for l in lines(out) {
        let id = match &l["id"] {
            Value::String(x) => x.clone(),
            v => v.to_string(),
        };
        if let Some(cs) = l["clauses"].as_array() {
            for (n, c) in cs.iter().enumerate() {
                if c["role"] == "customer" {
                    set.insert((id.clone(), n as u64));
                }
            }
        }
    }
    set
}

fn assignments(r: &Value) -> Vec<(String, u64, Option<u64>)> {
    r["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["clause"].as_u64().unwrap(),
                a["cluster"].as_u64(),
            )
        })
        .collect()
}

fn sample_cluster(dir: &Path, extra: &[&str]) -> (PathBuf, Value) {
    let store = store_of(&root().join("corpora/sample.jsonl"), dir);
    let out = dir.join("clusters.json");
    let codebook = automotive();
    let mut all = vec![
        "cluster",
        s(&store),
        "-o",
        s(&out),
        "--codebook",
        &codebook,
        "-q",
    ];
    all.extend_from_slice(extra);
    let r = cluster(&all);
    (store, r)
}

#[test]
fn every_customer_clause_is_assigned_and_outliers_are_few_and_counted() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = sample_cluster(dir.path(), &[]);
    let expected = customer_clauses(&dir.path().join("out.jsonl"));
    let got: BTreeSet<(String, u64)> = assignments(&r)
        .into_iter()
        .map(|(id, c, _)| (id, c))
        .collect();
    assert_eq!(got, expected, "one assignment per customer clause");
    let sum = &r["summary"];
    // Items are clauses or whole records: never more than the clauses, and
    // every outlier item leaves at least one clause without a cluster.
    let outliers = assignments(&r).iter().filter(|a| a.2.is_none()).count();
    assert!(sum["outliers"].as_u64().unwrap() as usize <= outliers);
    assert!(sum["items"].as_u64().unwrap() as usize <= expected.len());
    assert!(sum["outlier_share"].as_f64().unwrap() < 0.10, "{sum}");
    let clusters = r["clusters"].as_array().unwrap();
    assert_eq!(sum["clusters"].as_u64().unwrap() as usize, clusters.len());
    // Sizes add up to the clustered clauses.
    let sizes: u64 = clusters.iter().map(|c| c["size"].as_u64().unwrap()).sum();
    assert_eq!(sizes, sum["clustered"].as_u64().unwrap());
}

/// `--level auto` (the default) clusters a text record of 2–4 customer
/// clauses whole when it reads as one issue (no positive clause beside a
/// negative one, no two clauses with disjoint codes), and its clauses share
/// its cluster; `--level clause` makes every clause an item.
#[test]
fn short_records_of_one_issue_are_one_item_and_their_clauses_share_its_cluster() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (store, auto) = sample_cluster(dir.path(), &[]);
    let by_clause = cluster(&[
        "cluster",
        s(&store),
        "-o",
        s(&dir.path().join("by-clause.json")),
        "--codebook",
        &automotive(),
        "--level",
        "clause",
        "-q",
    ]);
    let clauses = customer_clauses(&dir.path().join("out.jsonl")).len();
    assert_eq!(
        by_clause["summary"]["items"].as_u64().unwrap() as usize,
        clauses
    );
    // The records that the rule makes whole, from the analysis lines.
    let mut whole: BTreeMap<String, usize> = BTreeMap::new();
    for l in lines(&dir.path().join("out.jsonl")) {
        let Some(cs) = l["clauses"].as_array() else {
            continue;
        };
        if l.get("turns").is_some() || !(2..=4).contains(&cs.len()) {
            continue;
        }
        let label = |c: &Value| c["sentiment"]["label"].as_str().unwrap_or("").to_owned();
        let mixed =
            cs.iter().any(|c| label(c) == "positive") && cs.iter().any(|c| label(c) == "negative");
        let codes: Vec<BTreeSet<String>> = cs
            .iter()
            .map(|c| {
                c["codes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| x["code"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .filter(|k: &BTreeSet<String>| !k.is_empty())
            .collect();
        let disjoint = codes
            .iter()
            .enumerate()
            .any(|(i, a)| codes[i + 1..].iter().any(|b| a.is_disjoint(b)));
        if !mixed && !disjoint {
            let id = match &l["id"] {
                Value::String(x) => x.clone(),
                v => v.to_string(),
            };
            whole.insert(id, cs.len());
        }
    }
    assert!(whole.len() >= 20, "the sample has short one-issue records");
    let merged: usize = whole.values().map(|n| n - 1).sum();
    assert_eq!(
        auto["summary"]["items"].as_u64().unwrap() as usize,
        clauses - merged
    );
    let mut cluster_of: BTreeMap<String, BTreeSet<Option<u64>>> = BTreeMap::new();
    for (id, _, c) in assignments(&auto) {
        cluster_of.entry(id).or_default().insert(c);
    }
    for id in whole.keys() {
        assert_eq!(
            cluster_of[id].len(),
            1,
            "{id}: its clauses share one cluster"
        );
    }
}

/// The store keeps the whole text's embedding of every text record of two
/// or more clauses (what `--level auto` clusters), none for the others.
#[test]
fn the_store_keeps_the_whole_text_embedding_of_multi_clause_texts() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(&root().join("corpora/sample.jsonl"), dir.path());
    let mut reader = vocmine::io::store::StoreReader::open(&store).unwrap();
    let dim = reader.manifest().dim;
    let (mut whole, mut none) = (0, 0);
    while let Some(batch) = reader.next_batch().unwrap() {
        for r in batch {
            let text = r.clauses.iter().all(|c| c.turn.is_none());
            match &r.embedding {
                Some(e) => {
                    assert!(text && r.clauses.len() >= 2, "record {}", r.id);
                    assert_eq!(e.len(), dim);
                    let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
                    assert!((norm - 1.0).abs() < 1e-3, "record {}: norm {norm}", r.id);
                    whole += 1;
                }
                None => {
                    assert!(!text || r.clauses.len() < 2, "record {}", r.id);
                    none += 1;
                }
            }
        }
    }
    assert!(whole >= 20 && none >= 100, "{whole} whole, {none} without");
}

#[test]
fn one_issue_in_three_languages_is_one_cluster_with_labels_per_language() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = sample_cluster(dir.path(), &[]);
    // The sample's infotainment freezes (车机卡死 / зависает / freezes)
    // are voiced in all three languages: the cluster holding most clauses
    // coded with the infotainment code holds at least 3 clauses of each
    // language (measured: zh 31, ru 9, en 14; under perturbed embeddings
    // see `clusters_hold_under_perturbed_embeddings_and_the_fp32_graph`).
    let clusters = r["clusters"].as_array().unwrap();
    let infotainment = |c: &Value| -> u64 {
        c["codes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|x| x["code"] == "product.infotainment.system")
            .filter_map(|x| x["count"].as_u64())
            .sum()
    };
    let freeze = clusters
        .iter()
        .max_by_key(|c| infotainment(c))
        .expect("clusters");
    assert!(infotainment(freeze) >= 10, "{freeze}");
    for lang in ["zh", "ru", "en"] {
        assert!(
            freeze["languages"][lang].as_u64().unwrap_or(0) >= 3,
            "{lang} in {}",
            freeze["languages"]
        );
        assert!(
            !freeze["labels"][lang].as_str().unwrap_or("").is_empty(),
            "label in {lang}: {}",
            freeze["labels"]
        );
    }
    // Every cluster: keywords, a label, distinct representatives, hotness.
    for c in clusters {
        assert!(!c["label"].as_str().unwrap().is_empty());
        let reps: Vec<&str> = c["representatives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["text"].as_str().unwrap())
            .collect();
        assert!(!reps.is_empty() && reps.len() <= 3);
        let distinct: BTreeSet<&str> = reps.iter().copied().collect();
        assert_eq!(distinct.len(), reps.len(), "{reps:?}");
        assert!(c["hotness"]["score"].as_f64().unwrap() >= 0.0);
        assert!(c["sentiment"]["negative_share"].as_f64().is_some());
    }
    // `hottest` is ranked by score.
    let scores: Vec<f64> = r["summary"]["hottest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            clusters[id.as_u64().unwrap() as usize]["hotness"]["score"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

/// The stored customer clauses of a store: (embedding, language, first code).
fn stored_clauses(store: &Path) -> Vec<(Vec<f32>, String, Option<String>, String)> {
    let mut reader = vocmine::io::store::StoreReader::open(store).unwrap();
    let mut out = Vec::new();
    while let Some(batch) = reader.next_batch().unwrap() {
        for rec in batch {
            for c in rec.clauses {
                if let (true, Some(e)) = (c.customer, c.embedding) {
                    out.push((e.to_vec(), c.language, c.codes.first().cloned(), c.text));
                }
            }
        }
    }
    out
}

/// In the cluster holding most clauses of `code`, the smallest share of one
/// language's clauses of that code (1 = every language's all there).
fn least_language_share(labels: &[Option<u32>], langs: &[&str], coded: &[bool]) -> f64 {
    use std::collections::BTreeMap;
    let mut by_cluster: BTreeMap<u32, usize> = BTreeMap::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..labels.len() {
        if coded[i] {
            *totals.entry(langs[i]).or_insert(0) += 1;
            if let Some(c) = labels[i] {
                *by_cluster.entry(c).or_insert(0) += 1;
            }
        }
    }
    let Some((&main, _)) = by_cluster
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
    else {
        return 0.0;
    };
    totals
        .iter()
        .map(|(l, t)| {
            let k = (0..labels.len())
                .filter(|&i| coded[i] && langs[i] == *l && labels[i] == Some(main))
                .count();
            k as f64 / *t as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Rows moved by seeded isotropic noise of expected norm `eps`.
fn perturb(rows: &[Vec<f32>], eps: f64, seed: u64) -> Vec<Vec<f32>> {
    let dim = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.concat();
    noise::perturb(&flat, dim, eps, seed)
        .chunks(dim.max(1))
        .map(<[f32]>::to_vec)
        .collect()
}

/// The sample's clusters must not turn on the last bits of the embeddings
/// (ONNX Runtime picks other int8 and float kernels on other CPUs; int8
/// against fp32 differs by a norm of about 0.095 per clause). With the
/// stored embeddings, with seeded noise of norm 0.05 and 0.1 (the size of
/// the int8-vs-fp32 difference) and with the fp32 graph's embeddings of the
/// same clauses, the infotainment-freeze issue stays one cluster across zh, ru
/// and en (least language share required ≥ 1/3: two of three runs at noise
/// 0.05 and at 0.1), and the partition moves little (ARI against the
/// stored embeddings). Measured over 12 seeds each (2026-12-06, the graph
/// without ONNX Runtime's SkipLayerNormFusion, whose embeddings differ from
/// the fused graph's by a norm of 0.022 on average, as far from the fp32
/// graph's: 0.074): noise 0.05: 10 of 12 runs ≥ 1/3, mean ARI 0.73; noise
/// 0.1: 9 of 12. With the fused graph's embeddings (2026-12-05): 12 of 12
/// and 10 of 12, mean ARI 0.76 — a change of the embeddings smaller than
/// the noise tested moved one of the three seeded runs at 0.05 across the
/// line, so the test asks two of three at both levels. (With the former
/// 32-text batches: 0.54–0.65 in 21 runs, ARI 0.73.)
#[test]
fn clusters_hold_under_perturbed_embeddings_and_the_fp32_graph() {
    use vocmine::corpus::cluster::{ari, ClusterConfig, ClusterModel, Vectors};
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(&root().join("corpora/sample.jsonl"), dir.path());
    let clauses = stored_clauses(&store);
    assert!(clauses.len() > 1000, "{}", clauses.len());
    let rows: Vec<Vec<f32>> = clauses.iter().map(|c| c.0.clone()).collect();
    let langs: Vec<&str> = clauses.iter().map(|c| c.1.as_str()).collect();
    let coded: Vec<bool> = clauses
        .iter()
        .map(|c| c.2.as_deref() == Some("product.infotainment.system"))
        .collect();
    assert!(coded.iter().filter(|c| **c).count() >= 20);
    let fit = |rows: &[Vec<f32>]| -> Vec<Option<u32>> {
        let v = Vectors::from_rows(rows).unwrap();
        ClusterModel::fit_with_languages(v, &langs, ClusterConfig::default())
            .unwrap()
            .labels()
            .to_vec()
    };
    let base = fit(&rows);
    let share = least_language_share(&base, &langs, &coded);
    assert!(
        share >= 1.0 / 3.0,
        "stored embeddings: least language share {share}"
    );
    let mut aris = Vec::new();
    for eps in [0.05, 0.1] {
        let mut shares = Vec::new();
        for seed in 0..3 {
            let labels = fit(&perturb(&rows, eps, 1000 + seed));
            shares.push(least_language_share(&labels, &langs, &coded));
            if eps == 0.05 {
                aris.push(ari(&base, &labels));
            }
        }
        assert!(
            shares.iter().filter(|s| **s >= 1.0 / 3.0).count() >= 2,
            "noise {eps}: least language shares {shares:?}"
        );
    }
    let mean = aris.iter().sum::<f64>() / aris.len() as f64;
    assert!(mean >= 0.6, "ARI under noise 0.05: {aris:?}");

    // The same clauses through the fp32 graph (another kernel path: float
    // GEMMs instead of int8 ones), kept by `models/setup.py`.
    let fp32 = root().join("models/.cache/multilingual-e5-small.fp32.onnx");
    if !fp32.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI without {}",
            fp32.display()
        );
        eprintln!("SKIPPED the fp32 part: {} missing", fp32.display());
        return;
    }
    let mdir = dir.path().join("fp32");
    std::fs::create_dir_all(&mdir).unwrap();
    let src = root().join("models/multilingual-e5-small");
    std::fs::copy(src.join("tokenizer.json"), mdir.join("tokenizer.json")).unwrap();
    std::os::unix::fs::symlink(&fp32, mdir.join("model.onnx")).unwrap();
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    // The fp32 graph has the embedding output only (no sentiment head, no
    // `embedding_wanted` input).
    config["outputs"] = serde_json::json!({"embedding": "sentence_embedding"});
    config["inputs"] = serde_json::json!({});
    let obj = config.as_object_mut().unwrap();
    obj.remove("labels");
    obj.remove("logits_source");
    std::fs::write(mdir.join("config.json"), config.to_string()).unwrap();
    let enc = vocmine::neural::encoder::Encoder::builder(&mdir)
        .project_root(root())
        .build()
        .unwrap();
    let texts: Vec<&str> = clauses.iter().map(|c| c.3.as_str()).collect();
    let emb = enc.encode(&texts).unwrap();
    let rows32: Vec<Vec<f32>> = emb.iter().map(|e| e.embedding.clone()).collect();
    let cos: f64 = rows
        .iter()
        .zip(&rows32)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>())
        .sum::<f64>()
        / rows.len() as f64;
    assert!(
        cos > 0.98,
        "int8 vs fp32 mean cosine {cos}: not the same clauses?"
    );
    let labels = fit(&rows32);
    let share = least_language_share(&labels, &langs, &coded);
    assert!(
        share >= 1.0 / 3.0,
        "fp32 graph: least language share {share}"
    );
    let a = ari(&base, &labels);
    assert!(a >= 0.45, "ARI int8 vs fp32: {a}");
}

#[test]
fn poorly_coded_clusters_get_a_code_the_codebook_loader_accepts() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = sample_cluster(dir.path(), &[]);
    let gaps = r["summary"]["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty(), "the sample has non-automotive domains");
    let cb = std::fs::read_to_string(automotive()).unwrap();
    for id in gaps {
        let c = &r["clusters"][id.as_u64().unwrap() as usize];
        assert!(c["coded_share"].as_f64().unwrap() < 0.3);
        let snippet = c["suggested_code"].as_str().unwrap();
        // Pasted under `codes:` of the codebook, it loads and validates.
        let pasted = cb.replacen("codes:\n", &format!("codes:\n{snippet}\n"), 1);
        let path = dir.path().join("pasted.yaml");
        std::fs::write(&path, pasted).unwrap();
        let spec = vocmine::stages::codebook::CodebookSpec::load(&path);
        assert!(spec.is_ok(), "{snippet}\n{:?}", spec.err());
    }
    // Well-coded clusters do not.
    for c in r["clusters"].as_array().unwrap() {
        if c["coded_share"].as_f64().unwrap() >= 0.3 {
            assert!(c.get("suggested_code").is_none());
        }
    }
}

#[test]
fn same_clusters_whatever_the_thread_count() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (store, r1) = sample_cluster(dir.path(), &["--threads", "1"]);
    let out2 = dir.path().join("c2.json");
    let r2 = cluster(&[
        "cluster",
        s(&store),
        "-o",
        s(&out2),
        "--codebook",
        &automotive(),
        "--threads",
        "2",
        "--model-dir",
        s(&dir.path().join("m2")),
        "-q",
    ]);
    assert_eq!(assignments(&r1), assignments(&r2));
    let strip = |r: &Value| -> Vec<Value> { r["clusters"].as_array().unwrap().clone() };
    assert_eq!(strip(&r1), strip(&r2));
}

#[test]
fn a_sampled_fit_places_every_item_and_does_not_depend_on_threads() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (store, whole) = sample_cluster(dir.path(), &[]);
    let codebook = automotive();
    let labels_of =
        |r: &Value| -> Vec<Option<u64>> { assignments(r).into_iter().map(|(_, _, l)| l).collect() };
    let run_sampled = |name: &str, extra: &[&str]| -> Value {
        let out = dir.path().join(format!("{name}.json"));
        let model = dir.path().join(name);
        let mut args = vec![
            "cluster",
            s(&store),
            "-o",
            s(&out),
            "--codebook",
            &codebook,
            "--model-dir",
            s(&model),
            "-q",
        ];
        args.extend_from_slice(extra);
        cluster(&args)
    };
    // a sample of everything is the plain fit
    let all = run_sampled("all", &["--sample", "1"]);
    assert_eq!(assignments(&all), assignments(&whole));
    assert_eq!(all["clusters"], whole["clusters"]);
    // half: every item has its line, the model holds about half of them,
    // the result is the same on 1 and 2 threads
    let half1 = run_sampled("half1", &["--sample", "0.5", "--threads", "1"]);
    let half2 = run_sampled("half2", &["--sample", "0.5", "--threads", "2"]);
    let keys = |r: &Value| -> Vec<(String, u64)> {
        assignments(r).into_iter().map(|(i, c, _)| (i, c)).collect()
    };
    assert_eq!(keys(&half1), keys(&whole));
    assert_eq!(assignments(&half1), assignments(&half2));
    assert_eq!(half1["clusters"], half2["clusters"]);
    let items = half1["summary"]["items"].as_u64().unwrap() as f64;
    let fitted = half1["summary"]["stats"]["items"].as_u64().unwrap() as f64;
    assert!(
        (0.4..0.6).contains(&(fitted / items)),
        "{fitted} of {items}"
    );
    assert_eq!(half1["summary"]["items"], whole["summary"]["items"]);
    let saved = std::fs::read_to_string(dir.path().join("half1/clusters.items.jsonl")).unwrap();
    assert_eq!(saved.lines().count() as f64, fitted);
    // the sampled partition is a coarser version of the whole one (half
    // the items at the same resolution and min_size give 30 clusters
    // instead of 55 on this corpus; NMI 0.62, ARI 0.30 when written): far
    // from independent of it
    let nmi = vocmine::corpus::cluster::nmi(&labels_of(&whole), &labels_of(&half1));
    assert!(nmi > 0.5, "NMI {nmi} between the whole and the sampled fit");
    let o = run(&["cluster", s(&store), "-o", "-", "--sample", "0", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sample fraction"));
}

#[test]
fn records_input_gives_the_clusters_of_the_store() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let (_, from_store) = sample_cluster(dir.path(), &[]);
    let out = dir.path().join("direct.json");
    let direct = cluster(&[
        "cluster",
        s(&root().join("corpora/sample.jsonl")),
        "-o",
        s(&out),
        "--codebook",
        &automotive(),
        "-q",
    ]);
    assert_eq!(assignments(&from_store), assignments(&direct));
}

#[test]
fn the_model_is_saved_beside_the_store_and_extend_assigns_without_reclustering() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    // Fit on the first 300 records, then extend with the rest.
    let all = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    let rows: Vec<&str> = all.lines().collect();
    let first = dir.path().join("first.jsonl");
    let rest = dir.path().join("rest.jsonl");
    std::fs::write(&first, rows[..300].join("\n") + "\n").unwrap();
    std::fs::write(&rest, rows[300..].join("\n") + "\n").unwrap();
    let store = store_of(&first, dir.path());
    let o1 = dir.path().join("c1.json");
    let r1 = cluster(&["cluster", s(&store), "-o", s(&o1), "-q"]);
    let model = store.join("clusters");
    for f in [
        "clusters.model.json",
        "clusters.vectors.npy",
        "clusters.items.jsonl",
    ] {
        assert!(model.join(f).is_file(), "{f} beside the store");
    }
    // The HNSW index is built when the model is first extended.
    assert!(!model.join("clusters.index.hnsw.graph").exists());
    let o2 = dir.path().join("c2.json");
    let r2 = cluster(&[
        "cluster",
        s(&rest),
        "--extend",
        s(&model),
        "-o",
        s(&o2),
        "-q",
    ]);
    let a1 = assignments(&r1);
    let a2 = assignments(&r2);
    assert!(a2.len() > a1.len());
    // The clauses clustered before keep their clusters.
    assert_eq!(&a2[..a1.len()], &a1[..]);
    // Most new clauses join existing clusters.
    let k1 = r1["summary"]["clusters"].as_u64().unwrap();
    let new = &a2[a1.len()..];
    let joined = new.iter().filter(|a| a.2.is_some_and(|c| c < k1)).count();
    assert!(joined * 10 >= new.len() * 7, "{joined} of {}", new.len());
    // The model grew on disk.
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("clusters.model.json")).unwrap())
            .unwrap();
    assert_eq!(saved["items"], r2["summary"]["items"]);
    for f in ["clusters.index.hnsw.graph", "clusters.index.hnsw.data"] {
        assert!(model.join(f).is_file(), "{f} written by --extend");
    }
}

#[test]
fn bad_inputs_exit_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.json");
    // A directory that is not a store.
    let o = run(&["cluster", s(dir.path()), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(s(dir.path())) && err.contains("store"),
        "{err}"
    );
    // A store without embeddings.
    let store = dir.path().join("store");
    assert_ok(&run(&[
        "analyze",
        s(&root().join("corpora/sample.jsonl")),
        "--no-model",
        "--store",
        s(&store),
        "-o",
        s(&dir.path().join("o.jsonl")),
        "-q",
    ]));
    let o = run(&["cluster", s(&store), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("embeddings"), "{err}");
    // A missing model directory for --extend.
    let o = run(&[
        "cluster",
        s(&root().join("corpora/sample.jsonl")),
        "--extend",
        s(&dir.path().join("nope")),
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
    // Bad settings.
    let o = run(&["cluster", s(&store), "-o", s(&out), "--k", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains('k'));
}

/// Customer clause texts of the analysis lines: (id, clause number) → text.
fn customer_texts(out: &Path) -> std::collections::BTreeMap<(String, u64), String> {
    let mut map = std::collections::BTreeMap::new();
    for l in lines(out) {
        let id = match &l["id"] {
            Value::String(x) => x.clone(),
            v => v.to_string(),
        };
        for (n, c) in l["clauses"].as_array().into_iter().flatten().enumerate() {
            if c["role"] == "customer" {
                map.insert(
                    (id.clone(), n as u64),
                    c["text"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    map
}

/// `codebook draft` turns the clusters of a store into a two-level codebook
/// that `codebook check` accepts and `analyze` codes with: parents over
/// leaves, no rules, labels in the corpus's languages, exemplars that are
/// customer clauses of the corpus, no owners. `codebook review` picks
/// distinct customer clauses of the store into a sheet (the same sheet on a
/// second run) whose filled rows `eval` scores as gold.
#[test]
fn draft_a_codebook_from_a_store_and_review_it() {
    require_model!();
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(&root().join("corpora/sample.jsonl"), dir.path());
    let texts = customer_texts(&dir.path().join("out.jsonl"));
    let all_texts: BTreeSet<&str> = texts.values().map(|t| t.trim()).collect();

    // draft
    let draft = dir.path().join("draft.yaml");
    let o = run(&[
        "codebook",
        "draft",
        s(&store),
        "-o",
        s(&draft),
        "--max-codes",
        "20",
    ]);
    assert_ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("drafted"), "{stderr}");
    let spec = vocmine::stages::codebook::CodebookSpec::load(&draft).unwrap();
    assert!(spec.problems().is_empty(), "{:?}", spec.problems());
    let leaves: Vec<_> = spec.codes.iter().filter(|c| c.parent.is_some()).collect();
    let parents: Vec<_> = spec.codes.iter().filter(|c| c.parent.is_none()).collect();
    assert!((8..=20).contains(&leaves.len()), "{} leaves", leaves.len());
    assert!(parents.len() >= 2 && parents.len() < leaves.len());
    let mut langs = BTreeSet::new();
    for c in &leaves {
        assert!(c.rules.is_empty() && c.owner.is_none(), "{c:?}");
        assert!((1..=3).contains(&c.exemplars.len()), "{c:?}");
        for e in &c.exemplars {
            assert!(
                all_texts.contains(e.as_str()),
                "exemplar {e:?} is no customer clause"
            );
        }
        assert!(!c.labels.is_empty() && c.description.is_some(), "{c:?}");
        langs.extend(c.labels.keys().cloned());
        assert!(parents.iter().any(|p| Some(&p.id) == c.parent.as_ref()));
    }
    assert_eq!(langs, ["en", "ru", "zh"].map(String::from).into());
    assert_ok(&run(&["codebook", "check", s(&draft)]));
    let coded_out = dir.path().join("draft.jsonl");
    assert_ok(&run(&[
        "analyze",
        s(&root().join("corpora/sample.jsonl")),
        "--codebook",
        s(&draft),
        "-o",
        s(&coded_out),
        "-q",
    ]));
    let coded = lines(&coded_out)
        .iter()
        .filter(|l| l["codes"].as_array().is_some_and(|c| !c.is_empty()))
        .count();
    assert!(
        coded * 2 > lines(&coded_out).len(),
        "{coded} records coded by the draft"
    );

    // review
    let sheet = |name: &str| {
        let path = dir.path().join(name);
        let o = run(&[
            "codebook",
            "review",
            "--codebook",
            &automotive(),
            "--store",
            s(&store),
            "-o",
            s(&path),
            "--size",
            "40",
        ]);
        assert_ok(&o);
        path
    };
    let csv1 = sheet("a.csv");
    assert_eq!(
        std::fs::read(&csv1).unwrap(),
        std::fs::read(sheet("b.csv")).unwrap(),
        "the pick is the same on a second run"
    );
    let xlsx = sheet("a.xlsx");
    let rows: Vec<_> = vocmine::stages::codebook::read_review(&xlsx)
        .unwrap()
        .into_iter()
        .map(|x| x.1)
        .collect();
    let csv_rows: Vec<_> = vocmine::stages::codebook::read_review(&csv1)
        .unwrap()
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(rows, csv_rows);
    assert_eq!(rows.len(), 40);
    let mut seen = BTreeSet::new();
    for r in &rows {
        assert_eq!(
            texts
                .get(&(r.id.clone(), r.clause as u64))
                .map(String::as_str),
            Some(r.text.as_str()),
            "{r:?}"
        );
        assert!(seen.insert(r.text.to_lowercase()), "repeated: {:?}", r.text);
        assert!(r.codes.is_empty() && !r.reason.is_empty());
    }
    // fill the sheet (the researcher's part) and score the codebook on it
    let mut w = csv::Writer::from_path(dir.path().join("filled.csv")).unwrap();
    let mut r = csv::Reader::from_path(&csv1).unwrap();
    let header = r.headers().unwrap().clone();
    let codes_col = header.iter().position(|h| h == "codes").unwrap();
    w.write_record(&header).unwrap();
    for (i, rec) in r.records().enumerate() {
        let mut cells: Vec<String> = rec.unwrap().iter().map(str::to_owned).collect();
        if i < 10 {
            cells[codes_col] = if i % 2 == 0 {
                "none".into()
            } else {
                "product.adas".into()
            };
        }
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let o = run(&[
        "eval",
        "--codebook",
        &automotive(),
        "--gold",
        s(&dir.path().join("filled.csv")),
    ]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("10 texts") || out.contains("texts 10"),
        "{out}"
    );
}
