//! Clustering quality and speed of `vocmine::corpus::cluster` on labelled embeddings.
//!
//! ```text
//! # 1. Embed texts of a CSV (text, label) with the library encoder (whole
//! #    texts, no clause splitting); writes OUT.npy and OUT.labels.
//! cargo run --release --example cluster_eval -- embed ../shared/corpora/banking77/train.csv /tmp/b77.npy /tmp/b77.labels
//!
//! # 2. Cluster and score: one JSON line per resolution.
//! cargo run --release --example cluster_eval -- eval /tmp/b77.npy /tmp/b77.labels \
//!     [--resolution 5.0[,8.0,…]] [--k 15] [--min-size 10] [--weighting umap|snn|binary] \
//!     [--exact-limit 20000] [--m 12] [--ef-construction 64] [--ef 48] [--iqr 3.0] \
//!     [--threads N] [--index] [--assign-check] [--labels-out FILE] [--center LANG]
//! ```
//!
//! ```text
//! # 3. Cross-lingual check: 4 banking issues × 8 paraphrases in each of
//! #    zh, ru and en (written for this check), embedded, clustered
//! #    (k 10, min_size 5, resolution 1: a 96-text toy corpus) and reported
//! #    (labels per language from vocmine's own segmentation).
//! cargo run --release --example cluster_eval -- crosslingual
//! ```
//!
//! ```text
//! # 4. Stability: the clusters of `vocmine embed` output (EMB.npy and its
//! #    EMB.index.jsonl, whose `language` is used for centering) against
//! #    other seeds, seeded noise of norm ε, and the embeddings of the same
//! #    clauses from another kernel path (e.g. the fp32 graph); with
//! #    --probe, how the clauses of one code (first code in a cluster items
//! #    file) sit across languages.
//! cargo run --release --example cluster_eval -- stability EMB.npy EMB.index.jsonl \
//!     [--other EMB2.npy]… [--noise 0.05,0.1] [--runs 5] [--seeds 1,2] \
//!     [--codes ITEMS.jsonl --probe CODE] [--labels-dir DIR] [cluster options]
//! ```
//!
//! Cluster options (eval, stability): `--consensus N`,
//! `--consensus-threshold X`, `--language-merge X`, `--remove-principal N`
//! (with `--center` or languages) besides those above.
//! Without a labels file (`-`), NMI and ARI are left out (scale runs).
//! `--index` also builds the HNSW index (what `save` needs) and times it;
//! `--assign-check` re-assigns every clustered vector through the model and
//! reports how often it lands in its own cluster.

use std::time::Instant;

use vocmine::corpus::cluster::{ari, nmi, read_npy, ClusterConfig, ClusterModel, Weighting};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("cluster_eval: {e}");
        std::process::exit(2);
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn run(args: &[String]) -> Res<()> {
    match args.first().map(String::as_str) {
        Some("embed") if args.len() >= 4 => embed(&args[1], &args[2], &args[3]),
        Some("eval") if args.len() >= 3 => eval(&args[1], &args[2], &args[3..]),
        Some("crosslingual") => crosslingual(),
        Some("stability") if args.len() >= 3 => stability(&args[1], &args[2], &args[3..]),
        _ => Err("usage: cluster_eval embed TRAIN.csv OUT.npy OUT.labels | cluster_eval eval EMB.npy LABELS|- [options] | cluster_eval crosslingual | cluster_eval stability EMB.npy INDEX.jsonl [options]".into()),
    }
}

fn embed(csv_path: &str, npy: &str, labels: &str) -> Res<()> {
    use std::io::Write;
    let mut rd = csv::Reader::from_path(csv_path)?;
    let mut texts = Vec::new();
    let mut labs = Vec::new();
    for row in rd.records() {
        let row = row?;
        texts.push(row.get(0).unwrap_or("").to_string());
        labs.push(row.get(1).unwrap_or("").to_string());
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let enc = vocmine::neural::encoder::Encoder::builder(root.join("models/multilingual-e5-small"))
        .project_root(root)
        .build()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t = Instant::now();
    let out = enc.encode(&refs)?;
    eprintln!(
        "encoded {} texts in {:.1}s",
        out.len(),
        t.elapsed().as_secs_f64()
    );
    let dim = out.first().map(|e| e.embedding.len()).unwrap_or(0);
    let mut w = vocmine::io::npy::NpyWriter::create(std::path::Path::new(npy), dim)?;
    for e in &out {
        w.push(&e.embedding)?;
    }
    w.finish()?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(labels)?);
    for l in &labs {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

fn opt<'a>(rest: &'a [String], name: &str) -> Option<&'a str> {
    rest.iter()
        .position(|a| a == name)
        .and_then(|i| rest.get(i + 1))
        .map(String::as_str)
}

/// The clustering settings named in `rest` (defaults for the others).
fn config_from(rest: &[String]) -> Res<ClusterConfig> {
    let mut cfg = ClusterConfig::default();
    if let Some(x) = opt(rest, "--k") {
        cfg.k = x.parse()?;
    }
    if let Some(x) = opt(rest, "--min-size") {
        cfg.min_size = x.parse()?;
    }
    if let Some(x) = opt(rest, "--exact-limit") {
        cfg.exact_limit = x.parse()?;
    }
    if let Some(x) = opt(rest, "--m") {
        cfg.hnsw.m = x.parse()?;
    }
    if let Some(x) = opt(rest, "--ef-construction") {
        cfg.hnsw.ef_construction = x.parse()?;
    }
    if let Some(x) = opt(rest, "--ef") {
        cfg.hnsw.ef_search = x.parse()?;
    }
    if let Some(x) = opt(rest, "--iqr") {
        cfg.outlier_iqr = x.parse()?;
    }
    if let Some(x) = opt(rest, "--language-merge") {
        cfg.language_merge = x.parse()?;
    }
    if let Some(x) = opt(rest, "--consensus") {
        cfg.consensus_runs = x.parse()?;
    }
    if let Some(x) = opt(rest, "--consensus-threshold") {
        cfg.consensus_threshold = x.parse()?;
    }
    if let Some(x) = opt(rest, "--seed") {
        cfg.seed = x.parse()?;
    }
    if let Some(x) = opt(rest, "--remove-principal") {
        cfg.remove_principal = x.parse()?;
    }
    if let Some(x) = opt(rest, "--weighting") {
        cfg.weighting = match x {
            "umap" => Weighting::Umap,
            "snn" => Weighting::Snn,
            "binary" => Weighting::Binary,
            _ => return Err(format!("unknown weighting {x}").into()),
        };
    }
    Ok(cfg)
}

fn eval(npy: &str, labels: &str, rest: &[String]) -> Res<()> {
    let t = Instant::now();
    let vectors = read_npy(std::path::Path::new(npy))?;
    let load_s = t.elapsed().as_secs_f64();
    let truth: Option<Vec<String>> = if labels == "-" {
        None
    } else {
        let s = std::fs::read_to_string(labels)?;
        let v: Vec<String> = s.lines().map(str::to_string).collect();
        if v.len() != vectors.len() {
            return Err(format!("{} labels for {} vectors", v.len(), vectors.len()).into());
        }
        Some(v)
    };
    let mut cfg = config_from(rest)?;
    let resolutions: Vec<f64> = match opt(rest, "--resolution") {
        Some(r) => r.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![cfg.resolution],
    };
    let threads: Option<usize> = opt(rest, "--threads").map(str::parse).transpose()?;
    let pool = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new().num_threads(n).build()?,
        None => rayon::ThreadPoolBuilder::new().build()?,
    };
    let with_index = rest.iter().any(|a| a == "--index");
    let assign_check = rest.iter().any(|a| a == "--assign-check");
    let center: Option<String> = opt(rest, "--center").map(str::to_owned);
    for r in resolutions {
        cfg.resolution = r;
        let vectors = vectors.clone();
        let cfg = cfg.clone();
        let line = pool.install(|| -> Result<serde_json::Value, vocmine::Error> {
            let t = Instant::now();
            // `--center LANG`: every row in language LANG, centred as
            // `fit_with_languages` does (on one language: the common mean
            // removed).
            let mut model = match &center {
                Some(lang) => {
                    let langs = vec![lang.as_str(); vectors.len()];
                    ClusterModel::fit_with_languages(vectors, &langs, cfg.clone())?
                }
                None => ClusterModel::fit(vectors, cfg.clone())?,
            };
            let fit_s = t.elapsed().as_secs_f64();
            let index_s = if with_index {
                model.build_index()?
            } else {
                0.0
            };
            let stats = model.stats().clone();
            let pred = model.labels();
            let mut out = serde_json::json!({
                "n": pred.len(),
                "resolution": r,
                "k": cfg.k,
                "weighting": format!("{:?}", cfg.weighting).to_lowercase(),
                "threads": rayon::current_num_threads(),
                "clusters": stats.clusters,
                "outliers": stats.outliers,
                "outlier_share": stats.outlier_share,
                "far": stats.far,
                "attached": stats.attached,
                "knn": stats.knn,
                "seconds": fit_s,
                "index_seconds": index_s,
                "load_seconds": load_s,
                "stages": stats.seconds,
                "peak_rss_mb": vocmine::io::run::peak_rss_mb(),
            });
            if let Some(truth) = &truth {
                // Outliers as one group (as scikit-learn scores HDBSCAN's -1),
                // and on the clustered items only.
                out["nmi"] = nmi(truth, pred).into();
                out["ari"] = ari(truth, pred).into();
                let (t2, p2): (Vec<&String>, Vec<u32>) = truth
                    .iter()
                    .zip(pred)
                    .filter_map(|(t, p)| p.map(|p| (t, p)))
                    .unzip();
                out["nmi_clustered"] = nmi(&t2, &p2).into();
                out["ari_clustered"] = ari(&t2, &p2).into();
            }
            if assign_check {
                let t = Instant::now();
                let a = model.assign(model.vectors())?;
                let same = a
                    .iter()
                    .zip(pred)
                    .filter(|(a, p)| p.is_some() && a.cluster == **p)
                    .count();
                out["assign_self_agreement"] = (same as f64 / stats.clustered.max(1) as f64).into();
                out["assign_seconds"] = t.elapsed().as_secs_f64().into();
            }
            if let Some(path) = opt(rest, "--labels-out") {
                let text: String = pred
                    .iter()
                    .map(|l| l.map(|l| l.to_string()).unwrap_or_else(|| "-1".into()) + "\n")
                    .collect();
                std::fs::write(path, text).map_err(|e| vocmine::Error::io(path, e))?;
            }
            Ok(out)
        })?;
        println!("{line}");
    }
    Ok(())
}

/// (issue, language, texts)
const CROSS: &[(&str, &str, &[&str])] = &[
    (
        "card_arrival",
        "en",
        &[
            "My card still hasn't arrived.",
            "I ordered a new card two weeks ago and it never came.",
            "When will my bank card be delivered?",
            "The card you sent me has not arrived yet.",
            "Still waiting for my debit card in the mail.",
            "How long does card delivery take? Mine is late.",
            "I haven't received my new credit card.",
            "Where is my card? It was supposed to arrive last week.",
        ],
    ),
    (
        "card_arrival",
        "zh",
        &[
            "我的卡还没收到。",
            "两周前申请的新卡到现在都没寄到。",
            "银行卡什么时候能送到？",
            "你们寄的卡一直没到。",
            "还在等我的借记卡邮寄过来。",
            "办卡多久能寄到？我的已经超时了。",
            "新的信用卡我还没有收到。",
            "我的卡呢？说好上周就到的。",
        ],
    ),
    (
        "card_arrival",
        "ru",
        &[
            "Моя карта до сих пор не пришла.",
            "Заказал новую карту две недели назад, а её всё нет.",
            "Когда доставят мою банковскую карту?",
            "Карта, которую вы отправили, так и не пришла.",
            "Всё ещё жду дебетовую карту по почте.",
            "Сколько идёт доставка карты? Моя задерживается.",
            "Я не получил новую кредитную карту.",
            "Где моя карта? Обещали доставить на прошлой неделе.",
        ],
    ),
    (
        "app_crash",
        "en",
        &[
            "The app keeps crashing when I open it.",
            "I can't log in to the mobile app.",
            "Your app freezes every time I try to sign in.",
            "The banking app crashed again after the update.",
            "Login fails with an error in the app.",
            "The application closes immediately on startup.",
            "I am unable to sign into my account on the app.",
            "The app won't load, it just crashes.",
        ],
    ),
    (
        "app_crash",
        "zh",
        &[
            "APP一打开就闪退。",
            "手机银行登录不上。",
            "每次登录APP都卡死。",
            "更新之后银行APP又崩溃了。",
            "APP登录时一直报错。",
            "应用一启动就自动关闭。",
            "我在APP上登不进我的账户。",
            "APP加载不出来，直接闪退。",
        ],
    ),
    (
        "app_crash",
        "ru",
        &[
            "Приложение постоянно вылетает при запуске.",
            "Не могу войти в мобильное приложение.",
            "Приложение зависает каждый раз, когда я пытаюсь войти.",
            "После обновления банковское приложение опять падает.",
            "При входе в приложение выдаёт ошибку.",
            "Приложение сразу закрывается при открытии.",
            "Не получается зайти в личный кабинет через приложение.",
            "Приложение не загружается, просто вылетает.",
        ],
    ),
    (
        "refund",
        "en",
        &[
            "I still haven't got my refund.",
            "The refund for my returned order never came.",
            "When will I receive the money back for my return?",
            "The merchant said they refunded me but I don't see it.",
            "It's been ten days and no refund on my account.",
            "My refund is missing.",
            "I returned the item but the refund hasn't been credited.",
            "Where is my refund? It should have arrived by now.",
        ],
    ),
    (
        "refund",
        "zh",
        &[
            "我的退款还没到账。",
            "退货的退款一直没收到。",
            "退货的钱什么时候能退回来？",
            "商家说已经退款了，但我没看到。",
            "已经十天了，账户里还是没有退款。",
            "我的退款不见了。",
            "商品已经退了，退款还没入账。",
            "退款呢？按理说早该到了。",
        ],
    ),
    (
        "refund",
        "ru",
        &[
            "Мне до сих пор не вернули деньги.",
            "Возврат за отменённый заказ так и не пришёл.",
            "Когда мне вернут деньги за возврат?",
            "Продавец говорит, что сделал возврат, но я его не вижу.",
            "Прошло десять дней, а возврата на счёте нет.",
            "Мой возврат потерялся.",
            "Я вернул товар, но деньги так и не зачислили.",
            "Где мой возврат средств? Уже должен был прийти.",
        ],
    ),
    (
        "double_charge",
        "en",
        &[
            "I was charged twice for the same purchase.",
            "There is a duplicate payment on my statement.",
            "The same transaction appears two times on my card.",
            "You took the money twice for one order.",
            "My card was debited twice at the shop.",
            "I see a double charge from the supermarket.",
            "Why was I billed two times for one payment?",
            "The payment went through twice, please return one.",
        ],
    ),
    (
        "double_charge",
        "zh",
        &[
            "同一笔消费被扣了两次钱。",
            "我的账单上有一笔重复扣款。",
            "同一笔交易在卡上出现了两次。",
            "一个订单你们扣了我两次钱。",
            "在商店刷卡被重复扣款了。",
            "超市那笔消费被扣了两次。",
            "为什么一笔付款收了我两次费用？",
            "付款重复扣了，请退回一笔。",
        ],
    ),
    (
        "double_charge",
        "ru",
        &[
            "С меня дважды списали деньги за одну покупку.",
            "В выписке есть повторный платёж.",
            "Одна и та же операция по карте отображается два раза.",
            "За один заказ вы списали деньги дважды.",
            "В магазине с карты списали два раза.",
            "Вижу двойное списание из супермаркета.",
            "Почему за один платёж с меня взяли деньги дважды?",
            "Платёж прошёл два раза, верните один.",
        ],
    ),
];

fn crosslingual() -> Res<()> {
    use vocmine::corpus::cluster::{ItemMeta, ReportOptions, Vectors};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let enc = vocmine::neural::encoder::Encoder::builder(root.join("models/multilingual-e5-small"))
        .project_root(root)
        .build()?;
    let engine = vocmine::Engine::builder().tokens(true).build()?;
    let mut texts = Vec::new();
    let mut issues = Vec::new();
    let mut langs = Vec::new();
    for (issue, lang, list) in CROSS {
        for t in *list {
            texts.push(*t);
            issues.push(*issue);
            langs.push(*lang);
        }
    }
    let emb = enc.encode(&texts)?;
    let rows: Vec<Vec<f32>> = emb.iter().map(|e| e.embedding.clone()).collect();
    let vectors = Vectors::from_rows(&rows)?;
    let cfg = ClusterConfig {
        k: 10,
        min_size: 5,
        resolution: 1.0,
        ..ClusterConfig::default()
    };
    let mut items = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let a = engine.analyze(&vocmine::Record::text(format!("t{i}"), *t))?;
        let tokens: Vec<String> = a
            .clauses
            .iter()
            .flat_map(|c| c.tokens.iter().flatten())
            // Content words, as `keywords.rs` counts them: no stopwords or
            // negators; Chinese words only when jieba tags them as nouns,
            // verbs, adjectives or foreign words.
            .filter(|t| {
                let pos_ok = match t.pos {
                    None => true,
                    Some(p) => {
                        p.starts_with('n') || matches!(p, "v" | "vn" | "vi" | "a" | "an" | "eng")
                    }
                };
                pos_ok && !t.stop && !t.negator && t.norm.chars().any(char::is_alphabetic)
            })
            .map(|t| t.norm.clone())
            .collect();
        items.push(ItemMeta {
            id: format!("t{i}"),
            clauses: 1,
            text: t.to_string(),
            language: a.language.code().to_string(),
            tokens,
            ..ItemMeta::default()
        });
    }
    let detected: Vec<&str> = items.iter().map(|m| m.language.as_str()).collect();
    for centred in [false, true] {
        let model = if centred {
            ClusterModel::fit_with_languages(vectors.clone(), &detected, cfg.clone())?
        } else {
            ClusterModel::fit(vectors.clone(), cfg.clone())?
        };
        let report = model.report(&items, &ReportOptions::default(), None)?;
        let pred = model.labels();
        println!(
            "{}",
            serde_json::json!({
                "language_centering": centred,
                "texts": texts.len(),
                "clusters": model.clusters(),
                "outliers": model.stats().outliers,
                "nmi_issue": nmi(&issues, pred),
                "ari_issue": ari(&issues, pred),
                "nmi_language": nmi(&langs, pred),
            })
        );
        for c in &report.clusters {
            let mut by_issue: std::collections::BTreeMap<&str, usize> = Default::default();
            for (i, p) in pred.iter().enumerate() {
                if *p == Some(c.id) {
                    *by_issue.entry(issues[i]).or_insert(0) += 1;
                }
            }
            println!(
                "  cluster {}: size {} issues {:?} languages {:?} labels {:?}",
                c.id, c.size, by_issue, c.languages, c.labels
            );
        }
    }
    Ok(())
}

#[path = "../tests/support/noise.rs"]
mod noise;

/// Unit rows of `v` moved by isotropic noise of expected norm `eps`.
fn perturbed(
    v: &vocmine::corpus::cluster::Vectors,
    eps: f64,
    seed: u64,
) -> Res<vocmine::corpus::cluster::Vectors> {
    let data = noise::perturb(v.as_slice(), v.dim(), eps, seed);
    Ok(vocmine::corpus::cluster::Vectors::new(data, v.dim())?)
}

/// `stability EMB.npy INDEX.jsonl [--other EMB2.npy]… [--noise 0.05,0.1]
/// [--runs 5] [--codes ITEMS.jsonl --probe CODE] [cluster options]`: how
/// much the clusters of one set of embeddings (`vocmine embed` output and
/// its index, whose `language` field is used for centering) move under
/// small perturbations: isotropic noise of a given norm (`--noise`, seeded
/// runs) and the embeddings of the same clauses from another kernel path
/// (`--other`, e.g. the fp32 graph against the int8 one). One JSON line per
/// variant: ARI and NMI against the unperturbed clustering, and, with
/// `--probe`, how the clauses of one code (from a cluster items file) sit:
/// the share of each language's probe clauses in the cluster holding most
/// of them.
fn stability(npy: &str, index: &str, rest: &[String]) -> Res<()> {
    use std::collections::BTreeMap;
    let cfg = config_from(rest)?;
    let base = read_npy(std::path::Path::new(npy))?;
    let mut langs: Vec<String> = Vec::new();
    let mut keys: Vec<(String, u64)> = Vec::new();
    for line in std::fs::read_to_string(index)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        langs.push(v["language"].as_str().unwrap_or("und").to_owned());
        let id = match &v["id"] {
            serde_json::Value::String(s) => s.clone(),
            x => x.to_string(),
        };
        keys.push((id, v["clause"].as_u64().unwrap_or(0)));
    }
    if langs.len() != base.len() {
        return Err(format!("{} index lines for {} vectors", langs.len(), base.len()).into());
    }
    let lang_refs: Vec<&str> = langs.iter().map(String::as_str).collect();
    // Probe: rows coded with one code.
    let probe: Option<Vec<bool>> = match (opt(rest, "--codes"), opt(rest, "--probe")) {
        (Some(codes), Some(code)) => {
            let mut coded: std::collections::HashSet<(String, u64)> = Default::default();
            for line in std::fs::read_to_string(codes)?.lines() {
                let v: serde_json::Value = serde_json::from_str(line)?;
                if v["codes"]
                    .as_array()
                    .is_some_and(|c| c.first().is_some_and(|x| x == code))
                {
                    coded.insert((
                        v["id"].as_str().unwrap_or("").to_owned(),
                        v["clause"].as_u64().unwrap_or(0),
                    ));
                }
            }
            Some(keys.iter().map(|k| coded.contains(k)).collect())
        }
        _ => None,
    };
    let fit = |v: vocmine::corpus::cluster::Vectors| -> Res<Vec<Option<u32>>> {
        let m = ClusterModel::fit_with_languages(v, &lang_refs, cfg.clone())?;
        Ok(m.labels().to_vec())
    };
    let probe_report = |labels: &[Option<u32>]| -> serde_json::Value {
        let Some(p) = &probe else {
            return serde_json::Value::Null;
        };
        let mut by_cluster: BTreeMap<u32, usize> = BTreeMap::new();
        let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, l) in labels.iter().enumerate() {
            if p[i] {
                *totals.entry(langs[i].as_str()).or_insert(0) += 1;
                if let Some(c) = l {
                    *by_cluster.entry(*c).or_insert(0) += 1;
                }
            }
        }
        let Some((&main, _)) = by_cluster
            .iter()
            .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        else {
            return serde_json::Value::Null;
        };
        let mut share: BTreeMap<&str, f64> = BTreeMap::new();
        let mut in_main: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, l) in labels.iter().enumerate() {
            if p[i] && *l == Some(main) {
                *in_main.entry(langs[i].as_str()).or_insert(0) += 1;
            }
        }
        for (l, t) in &totals {
            let k = in_main.get(l).copied().unwrap_or(0);
            share.insert(l, k as f64 / *t as f64);
        }
        let min_share = share.values().copied().fold(f64::INFINITY, f64::min);
        serde_json::json!({"cluster": main, "in_cluster": in_main, "total": totals, "min_share": min_share})
    };
    let t = Instant::now();
    let clean = fit(base.clone())?;
    let clusters = |l: &[Option<u32>]| {
        l.iter()
            .flatten()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let largest = |l: &[Option<u32>]| {
        let mut m: BTreeMap<u32, usize> = BTreeMap::new();
        for x in l.iter().flatten() {
            *m.entry(*x).or_insert(0) += 1;
        }
        m.values().copied().max().unwrap_or(0)
    };
    println!(
        "{}",
        serde_json::json!({"variant": "clean", "n": clean.len(), "clusters": clusters(&clean), "largest": largest(&clean),
            "seconds": t.elapsed().as_secs_f64(), "probe": probe_report(&clean)})
    );
    let labels_dir = opt(rest, "--labels-dir").map(std::path::PathBuf::from);
    let score = |name: String, labels: &[Option<u32>]| {
        if let Some(dir) = &labels_dir {
            let text: String = labels
                .iter()
                .map(|l| l.map(|l| l.to_string()).unwrap_or_else(|| "-1".into()) + "\n")
                .collect();
            let file = name.replace(['/', ':'], "_") + ".labels";
            let _ = std::fs::write(dir.join(file), text);
        }
        println!(
            "{}",
            serde_json::json!({"variant": name, "clusters": clusters(labels),
                "ari": ari(&clean, labels), "nmi": nmi(&clean, labels), "probe": probe_report(labels)})
        );
    };
    let mut i = 0;
    while let Some(pos) = rest[i..].iter().position(|a| a == "--other") {
        let path = rest.get(i + pos + 1).ok_or("--other needs a path")?;
        let other = read_npy(std::path::Path::new(path))?;
        if other.len() != base.len() {
            return Err(format!("{path}: {} vectors, expected {}", other.len(), base.len()).into());
        }
        score(format!("other:{path}"), &fit(other)?);
        i += pos + 2;
    }
    if let Some(seeds) = opt(rest, "--seeds") {
        for seed in seeds.split(',') {
            let seed: u64 = seed.parse()?;
            let c = ClusterConfig {
                seed,
                ..cfg.clone()
            };
            let m = ClusterModel::fit_with_languages(base.clone(), &lang_refs, c)?;
            score(format!("seed:{seed}"), m.labels());
        }
    }
    let noises: Vec<f64> = match opt(rest, "--noise") {
        Some(r) => r.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![0.05, 0.1],
    };
    let runs: u64 = opt(rest, "--runs")
        .map(str::parse)
        .transpose()?
        .unwrap_or(5);
    for eps in noises {
        let mut aris = Vec::new();
        for r in 0..runs {
            let labels = fit(perturbed(&base, eps, 1000 + r)?)?;
            aris.push(ari(&clean, &labels));
            score(format!("noise:{eps}:{r}"), &labels);
        }
        let mean = aris.iter().sum::<f64>() / aris.len().max(1) as f64;
        let min = aris.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "{}",
            serde_json::json!({"noise": eps, "runs": runs, "ari_mean": mean, "ari_min": min})
        );
    }
    Ok(())
}
