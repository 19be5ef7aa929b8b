//! Tests of the whole clustering on synthetic data.

use super::rng::Rng;
use super::*;
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::CodebookSpec;

/// `blobs` well-separated groups of `per` points in `dim` dimensions
/// (centres along distinct axes, Gaussian-ish noise of `noise`), shuffled
/// with the seed; returns the vectors and the true group of each row.
fn blobs(blobs: usize, per: usize, dim: usize, noise: f32, seed: u64) -> (Vectors, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let mut rows: Vec<(Vec<f32>, usize)> = Vec::new();
    for b in 0..blobs {
        for _ in 0..per {
            let mut v: Vec<f32> = (0..dim)
                .map(|_| {
                    // Sum of uniforms: roughly normal.
                    let s: f64 = (0..4).map(|_| rng.next_f64() - 0.5).sum();
                    noise * s as f32
                })
                .collect();
            v[b % dim] += 1.0;
            rows.push((v, b));
        }
    }
    rng.shuffle(&mut rows);
    let truth = rows.iter().map(|r| r.1).collect();
    let data: Vec<f32> = rows.into_iter().flat_map(|r| r.0).collect();
    (Vectors::new(data, dim).unwrap(), truth)
}

/// Small k and min_size for small tests; resolution 1 (the default 5 is
/// tuned for fine-grained intents and cuts clean synthetic blobs apart).
fn config() -> ClusterConfig {
    ClusterConfig {
        k: 10,
        min_size: 5,
        resolution: 1.0,
        ..ClusterConfig::default()
    }
}

#[test]
fn recovers_separated_blobs_exactly() {
    let (v, truth) = blobs(6, 50, 24, 0.08, 3);
    let (labels, stats) = cluster(&v, &config()).unwrap();
    assert_eq!(stats.clusters, 6, "{stats:?}");
    assert_eq!(stats.outliers, 0);
    assert!((nmi(&truth, &labels) - 1.0).abs() < 1e-9);
    assert!((ari(&truth, &labels) - 1.0).abs() < 1e-9);
    // Largest first, ids 0..6.
    let model = ClusterModel::fit(v, config()).unwrap();
    assert_eq!(model.sizes(), &[50, 50, 50, 50, 50, 50]);
}

#[test]
fn descent_path_recovers_blobs_too_and_builds_no_index() {
    let (v, truth) = blobs(5, 80, 24, 0.08, 4);
    let cfg = ClusterConfig {
        exact_limit: 100,
        ..config()
    };
    let (labels, stats) = cluster(&v, &cfg).unwrap();
    assert_eq!(stats.knn, KnnMethod::Descent);
    assert!((nmi(&truth, &labels) - 1.0).abs() < 1e-9, "{stats:?}");
    // The index is built when a model is assigned much or extended.
    let mut model = ClusterModel::fit(v.clone(), cfg).unwrap();
    assert!(!model.has_index());
    let rows: Vec<Vec<f32>> = (0..300).map(|i| v.row(i % 400).to_vec()).collect();
    let a = model.assign(&Vectors::from_rows(&rows).unwrap()).unwrap();
    for (i, x) in a.iter().enumerate() {
        assert_eq!(x.cluster, model.labels()[i % 400], "row {i}");
    }
    assert!(
        !model.has_index(),
        "assign builds an index for the call only"
    );
    model
        .extend(Vectors::from_rows(&rows[..3]).unwrap())
        .unwrap();
    assert!(model.has_index());
}

#[test]
fn same_result_on_any_thread_count() {
    let (v, _) = blobs(8, 40, 32, 0.25, 5);
    for exact_limit in [20_000, 50] {
        let cfg = ClusterConfig {
            exact_limit,
            ..config()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| cluster(&v, &cfg).unwrap().0)
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }
}

#[test]
fn far_points_are_outliers_and_counted() {
    let (v, _) = blobs(3, 40, 16, 0.05, 6);
    let mut data = v.as_slice().to_vec();
    // Three lone points on unused axes, and one zero vector.
    for axis in [10, 12, 14] {
        let mut p = vec![0.0f32; 16];
        p[axis] = 1.0;
        data.extend_from_slice(&p);
    }
    data.extend_from_slice(&[0.0; 16]);
    let v = Vectors::new(data, 16).unwrap();
    let (labels, stats) = cluster(&v, &config()).unwrap();
    assert_eq!(stats.clusters, 3);
    assert_eq!(stats.invalid, 1);
    assert_eq!(stats.outliers, 4);
    assert!((stats.outlier_share - 4.0 / 124.0).abs() < 1e-12);
    assert!(labels[120..].iter().all(|l| l.is_none()));
    assert!(labels[..120].iter().all(|l| l.is_some()));
}

#[test]
fn small_groups_near_a_cluster_are_attached() {
    // A blob plus 3 points just beside it: attached, not outliers.
    let (v, _) = blobs(6, 40, 16, 0.05, 7);
    let mut data = v.as_slice().to_vec();
    for i in 0..3 {
        let mut p = vec![0.0f32; 16];
        p[0] = 1.0;
        p[5] = 0.12 + 0.01 * i as f32;
        data.extend_from_slice(&p);
    }
    let v = Vectors::new(data, 16).unwrap();
    let (labels, stats) = cluster(&v, &config()).unwrap();
    assert_eq!(stats.outliers, 0, "{stats:?}");
    assert_eq!(stats.clusters, 6);
    let blob0 = labels[(0..240).find(|&i| v.row(i)[0] > 0.5).unwrap()];
    assert!(labels[240..].iter().all(|l| *l == blob0));
}

#[test]
fn assign_and_extend() {
    let (v, _) = blobs(4, 40, 16, 0.05, 8);
    let mut model = ClusterModel::fit(v.clone(), config()).unwrap();
    assert!(!model.has_index());
    // A point of blob of row 0, and one far away.
    let mut far = vec![0.0f32; 16];
    far[9] = 1.0;
    let new = Vectors::from_rows(&[v.row(0).to_vec(), far.clone(), vec![0.0; 16]]).unwrap();
    let a = model.assign(&new).unwrap();
    assert_eq!(a[0].cluster, model.labels()[0]);
    assert!(a[0].similarity > 0.99);
    assert_eq!(a[1].cluster, None);
    assert_eq!(a[2].cluster, None);
    // Same through the index.
    model.build_index().unwrap();
    assert_eq!(model.assign(&new).unwrap(), a);
    // Extend with 12 points near the far axis: a new cluster opens.
    let (w, _) = blobs(1, 12, 16, 0.03, 9);
    let shifted: Vec<Vec<f32>> = (0..w.len())
        .map(|i| {
            let mut r = w.row(i).to_vec();
            r.rotate_right(9);
            r
        })
        .collect();
    let mut rows = shifted.clone();
    rows.push(v.row(1).to_vec());
    let ext = model.extend(Vectors::from_rows(&rows).unwrap()).unwrap();
    // (Modularity may cut a small homogeneous group in two.)
    assert!(!ext.opened.is_empty() && ext.opened[0] == 4, "{ext:?}");
    assert_eq!(ext.assigned, 1);
    assert!(
        ext.labels[..12].iter().all(|l| l.is_some_and(|l| l >= 4)),
        "{ext:?}"
    );
    assert_eq!(ext.labels[12], model.labels()[1]);
    assert_eq!(model.clusters(), 4 + ext.opened.len());
    assert_eq!(model.labels().len(), 160 + 13);
    assert_eq!(model.sizes()[4..].iter().sum::<usize>(), 12);
    // A later point near the new cluster is assigned to it.
    let b = model
        .assign(&Vectors::from_rows(&[shifted[0].clone()]).unwrap())
        .unwrap();
    assert_eq!(b[0].cluster, ext.labels[0]);
    assert!(model
        .extend(Vectors::new(vec![1.0; 8], 8).unwrap())
        .is_err());
}

#[test]
fn save_and_load_round_trip() {
    let (v, _) = blobs(3, 30, 16, 0.05, 10);
    let mut model = ClusterModel::fit(v.clone(), config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    assert!(ClusterModel::exists(dir.path()));
    let loaded = ClusterModel::load(dir.path()).unwrap();
    assert_eq!(loaded.labels(), model.labels());
    assert_eq!(loaded.sizes(), model.sizes());
    assert_eq!(loaded.assign_threshold(), model.assign_threshold());
    // bit for bit: a loaded model places items as the saved one did
    assert_eq!(loaded.vectors(), model.vectors());
    assert_eq!(loaded.centroid(0), model.centroid(0));
    let q = Vectors::from_rows(&[v.row(5).to_vec()]).unwrap();
    assert_eq!(loaded.assign(&q).unwrap(), model.assign(&q).unwrap());
    // Saving a loaded (and extended) model again works and replaces the files.
    let mut loaded = loaded;
    loaded.extend(q).unwrap();
    loaded.save(dir.path()).unwrap();
    assert_eq!(ClusterModel::load(dir.path()).unwrap().labels().len(), 91);
    // Broken files are errors, not panics.
    std::fs::write(dir.path().join("clusters.index.hnsw.graph"), b"junk").unwrap();
    assert!(ClusterModel::load(dir.path()).is_err());
    std::fs::write(dir.path().join(MODEL_FILE), b"{}").unwrap();
    assert!(ClusterModel::load(dir.path()).is_err());
}

#[test]
fn bad_settings_are_config_errors() {
    let v = Vectors::new(vec![1.0, 0.0], 2).unwrap();
    for cfg in [
        ClusterConfig { k: 1, ..config() },
        ClusterConfig {
            resolution: 0.0,
            ..config()
        },
        ClusterConfig {
            min_size: 0,
            ..config()
        },
        ClusterConfig {
            outlier_iqr: -1.0,
            ..config()
        },
        ClusterConfig {
            remove_principal: 17,
            ..config()
        },
        ClusterConfig {
            hnsw: HnswParams {
                m: 300,
                ..HnswParams::default()
            },
            ..config()
        },
    ] {
        assert!(
            matches!(cluster(&v, &cfg), Err(crate::Error::Config(_))),
            "{cfg:?}"
        );
    }
    // Tiny inputs do not fail.
    let (labels, stats) = cluster(&v, &config()).unwrap();
    assert_eq!((labels, stats.outliers), (vec![None], 1));
    let empty = Vectors::from_rows::<Vec<f32>>(&[]).unwrap();
    assert_eq!(cluster(&empty, &config()).unwrap().1.items, 0);
}

#[test]
fn report_labels_hotness_and_gaps() {
    // Six blobs: blob 0 ("card arrival", en + zh, coded), blob 1 ("apple
    // pay top-up", en + ru, uncoded, all in the last week, negative), blobs
    // 2..6 other coded topics.
    let (v, truth) = blobs(6, 40, 16, 0.05, 11);
    let model = ClusterModel::fit(v, config()).unwrap();
    let tok = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let items: Vec<ItemMeta> = truth
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let lang = match (t, i % 2) {
                (0, 0) => "en",
                (0, _) => "zh",
                (_, 0) => "en",
                _ => "ru",
            };
            let (text, tokens) = match (t, lang) {
                (0, "en") => ("my card has not arrived", tok("card arrive still waiting")),
                (0, _) => ("卡还没到", tok("卡 还 没 到")),
                (_, "en") => ("apple pay top up failed", tok("apple pay top-up fail")),
                _ => (
                    "пополнение через apple pay не работает",
                    tok("пополнение apple pay работает"),
                ),
            };
            ItemMeta {
                id: format!("r{i}"),
                clause: 0,
                clauses: 1,
                text: text.into(),
                language: lang.into(),
                tokens,
                sentiment: Some(if t == 1 {
                    Polarity::Negative
                } else {
                    Polarity::Neutral
                }),
                codes: if t != 1 {
                    vec!["banking.cards.delivery".into()]
                } else {
                    Vec::new()
                },
                period: Some(if t == 1 { 10 } else { 9 + (i % 2) as i64 }),
            }
        })
        .collect();
    let codebook: CodebookSpec = serde_yaml_ng::from_str(
        "codebook: t\ncodes:\n  - id: banking\n  - id: banking.cards\n    parent: banking\n  - id: banking.cards.delivery\n    parent: banking.cards\n",
    )
    .unwrap();
    let r = model
        .report(&items, &ReportOptions::default(), Some(&codebook))
        .unwrap();
    assert_eq!(r.clusters.len(), 6);
    assert_eq!(r.assignments.len(), 240);
    let b = r
        .clusters
        .iter()
        .find(|c| c.codes.is_empty())
        .expect("the uncoded cluster");
    let a = r
        .clusters
        .iter()
        .find(|c| c.languages.contains_key("zh"))
        .unwrap();
    // Labels per language.
    assert!(b.labels["en"].contains("apple") || b.labels["en"].contains("pay"));
    assert!(b.labels.contains_key("ru"));
    assert!(a.labels["zh"].contains('卡'));
    // Distinct texts only: the blob has two texts (en, zh).
    assert_eq!(a.representatives.len(), 2);
    assert_eq!(a.languages.len(), 2);
    // Hotness: B is all in the current week, all negative → new, emerging, hottest.
    assert_eq!(r.summary.period, Some(10));
    assert!(b.hotness.new && b.hotness.emerging);
    assert!(!a.hotness.emerging);
    assert_eq!(r.summary.hottest[0], b.id);
    assert_eq!(b.sentiment.unwrap().negative_share, 1.0);
    // Gap: B gets a code under banking.cards (the parent of A's code).
    let yaml = b.suggested_code.as_ref().unwrap();
    let codes: Vec<crate::stages::codebook::CodeSpec> = serde_yaml_ng::from_str(yaml).unwrap();
    assert_eq!(codes[0].parent.as_deref(), Some("banking.cards"));
    assert!(codes[0].id.starts_with("banking.cards."));
    assert!(r
        .clusters
        .iter()
        .all(|c| c.suggested_code.is_none() || c.id == b.id));
    assert_eq!(r.summary.gaps, vec![b.id]);
    // Serializes.
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["assignments"][0]["cluster"].is_number());
    assert!(model
        .report(&items[..3], &ReportOptions::default(), None)
        .is_err());
}

#[test]
fn languages_are_centred_away() {
    // Six topics × two languages; each language adds its own offset,
    // larger than the topic differences.
    let (v, truth) = blobs(6, 40, 16, 0.03, 12);
    let mut data = Vec::new();
    let mut langs = Vec::new();
    for i in 0..v.len() {
        let mut r: Vec<f32> = v.row(i).iter().map(|x| 0.6 * x).collect();
        // Language by position, independent of the (shuffled) topic.
        let zh = i % 2 == 1;
        r[if zh { 10 } else { 11 }] += 1.0;
        data.extend_from_slice(&r);
        langs.push(if zh { "zh" } else { "en" });
    }
    let v = Vectors::new(data, 16).unwrap();
    let plain = ClusterModel::fit(v.clone(), config()).unwrap();
    // Without centering the languages split every topic: 12 clusters,
    // NMI with the language ln 2 / ((ln 2 + ln 12) / 2) = 0.436.
    assert!(nmi(&langs, plain.labels()) > 0.4, "{:?}", plain.stats());
    assert_eq!(plain.stats().clusters, 12);
    let mut model = ClusterModel::fit_with_languages(v.clone(), &langs, config()).unwrap();
    assert!(
        (nmi(&truth, model.labels()) - 1.0).abs() < 1e-9,
        "{:?}",
        model.stats()
    );
    assert!(nmi(&langs, model.labels()) < 0.01);
    assert_eq!(model.centering().unwrap().languages().count(), 2);
    // New vectors are centred with the stored means.
    let q = Vectors::from_rows(&[v.row(1).to_vec()]).unwrap();
    let a = model.assign_with_languages(&q, &["zh"]).unwrap();
    assert_eq!(a[0].cluster, model.labels()[1]);
    assert!(model.assign_with_languages(&q, &["zh", "en"]).is_err());
    // Saved and loaded with the means.
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let loaded = ClusterModel::load(dir.path()).unwrap();
    assert_eq!(loaded.centering(), model.centering());
    assert_eq!(loaded.assign_with_languages(&q, &["zh"]).unwrap(), a);
    let ext = model.extend_with_languages(q, &["zh"]).unwrap();
    assert_eq!(ext.labels[0], model.labels()[1]);
}

#[test]
fn a_sampled_fit_places_every_item_and_items_round_trip_through_arrow() {
    let (v, truth) = blobs(4, 60, 16, 0.05, 12);
    let mut items = ClusterItems::new();
    for (i, group) in truth.iter().enumerate() {
        let meta = ItemMeta {
            id: format!("r{i}"),
            clause: i % 3,
            clauses: 1,
            text: format!("text {i}"),
            language: "en".into(),
            tokens: vec![format!("w{group}")],
            sentiment: Some(Polarity::Negative),
            period: Some(i as i64 % 2),
            ..ItemMeta::default()
        };
        let surface = meta.tokens.clone();
        items.push_decoded(meta, surface, Some(v.row(i))).unwrap();
    }
    let sample = Sample::new(0.5, 3).unwrap();
    assert!(Sample::new(0.0, 3).is_err() && Sample::new(1.5, 3).is_err());
    let (model, picked) = fit_sample(&items, sample, config()).unwrap();
    assert!((90..150).contains(&picked.len()), "{}", picked.len());
    assert!(model.has_index());
    let fitted = FittedItems::new(&picked);
    let placements = model.place(&items, &fitted).unwrap();
    let labels: Vec<Option<u32>> = placements.iter().map(|p| p.cluster).collect();
    assert!((nmi(&truth, &labels) - 1.0).abs() < 1e-9);
    assert!(placements.iter().all(|p| p.centroid_similarity > 0.5));
    // a sampled item keeps the cluster it was fitted into
    for (j, m) in picked.items().iter().enumerate() {
        let i = items.items().iter().position(|x| x == m).unwrap();
        assert_eq!(labels[i], model.labels()[j]);
    }
    // a sample of everything reports as the plain fit does
    let (whole, _) = fit_sample(&items, Sample::new(1.0, 3).unwrap(), config()).unwrap();
    let all = whole.place(&items, &FittedItems::new(&items)).unwrap();
    let options = ReportOptions::default();
    assert_eq!(
        whole
            .report_placed(items.items(), &all, &options, None)
            .unwrap(),
        whole.report(items.items(), &options, None).unwrap()
    );
    #[cfg(feature = "store")]
    {
        let rows: Vec<i64> = (0..items.len() as i64).map(|i| i * 10).collect();
        let batch = items.to_arrow(&rows, Some(&sample), true, None).unwrap();
        let sampled = batch
            .column_by_name("sampled")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::BooleanArray>()
            .unwrap()
            .true_count();
        assert_eq!(sampled, picked.len());
        let back = ClusterItems::from_arrow(&[batch]).unwrap();
        assert_eq!(back.items.items(), items.items());
        assert_eq!(back.rows, rows);
        assert_eq!(back.items.forms(), items.forms());
        assert_eq!(model.place(&back.items, &fitted).unwrap(), placements);
        let placed = back
            .items
            .to_arrow(&rows, None, false, Some(&placements))
            .unwrap();
        let again = ClusterItems::from_arrow(&[placed]).unwrap();
        assert_eq!(again.placements, placements);
        assert!(again.items.vectors().is_err());
        assert_eq!(
            model
                .report_placed(again.items.items(), &again.placements, &options, None)
                .unwrap(),
            model
                .report_placed(items.items(), &placements, &options, None)
                .unwrap()
        );
    }
}
