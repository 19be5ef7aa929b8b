//! Contract: what `analyze` says about how a customer feels, with the default
//! model — the overall record label as a rater would give it, the worst
//! clause kept visible, a voice type on every customer clause — and
//! `vocmine eval --records` scoring exactly that output.

use std::path::PathBuf;

use serde_json::Value;
use vocmine::neural::encoder::{Encoder, SETUP_COMMAND};
use vocmine::neural::sentiment::{Polarity, VoiceType};
use vocmine::{Engine, Record};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default model, or `None` outside CI when it is not built.
fn default_model() -> Option<PathBuf> {
    let dir = root().join("models/multilingual-e5-small");
    let ok = dir.join("model.onnx").is_file() && root().join("models/ort.env").is_file();
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI without the default model: did `{SETUP_COMMAND}` run?"
    );
    ok.then_some(dir)
}

fn engine(dir: &PathBuf) -> Engine {
    let enc = Encoder::builder(dir).project_root(root()).build().unwrap();
    Engine::builder().encoder(enc).build().unwrap()
}

/// One record through the batch path (the encoder runs over batches).
fn analyze(e: &Engine, id: &str, text: &str) -> vocmine::Analysis {
    match e
        .analyze_batch(&[Record::text(id, text)])
        .unwrap()
        .remove(0)
    {
        vocmine::Outcome::Ok(a) => a.analysis,
        vocmine::Outcome::Err(f) => panic!("{f:?}"),
    }
}

#[test]
fn a_positive_review_with_one_flaw_is_positive_and_the_flaw_is_the_worst_clause() {
    let Some(dir) = default_model() else {
        eprintln!("SKIPPED: the default model is not built; run `{SETUP_COMMAND}`");
        return;
    };
    let e = engine(&dir);
    let text = "酒店位置很好，离地铁站很近。房间干净宽敞，服务员态度热情。早餐种类丰富，很好吃。就是隔音太差了。下次还会再来。";
    let a = analyze(&e, "r", text);
    let s = a.sentiment.expect("record sentiment");
    assert_eq!(s.label, Polarity::Positive, "{s:?}");
    assert!(s.text.is_some(), "the whole text is evidence");
    let w = s.worst.expect("the complaint stays visible");
    assert!(
        a.clauses[w.clause].text.contains("隔音"),
        "{:?}",
        a.clauses[w.clause]
    );
    assert_eq!(
        (a.clauses[w.clause].start, a.clauses[w.clause].end),
        (w.start, w.end)
    );
    // A plainly negative review stays negative.
    let a = analyze(
        &e,
        "n",
        "房间又脏又小，空调坏了也没人修，前台态度很差，再也不来了。",
    );
    assert_eq!(a.sentiment.unwrap().label, Polarity::Negative);
}

#[test]
fn every_customer_clause_has_a_voice_type_and_wishes_are_itches() {
    let Some(dir) = default_model() else {
        eprintln!("SKIPPED: the default model is not built; run `{SETUP_COMMAND}`");
        return;
    };
    let e = engine(&dir);
    for (text, want) in [
        (
            "It would be great if the hotel offered a free airport shuttle",
            VoiceType::Itch,
        ),
        ("希望能增加夜间配送", VoiceType::Itch),
        ("Хотелось бы больше вариантов оплаты", VoiceType::Itch),
        (
            "The room was dirty and the air conditioner was broken",
            VoiceType::Pain,
        ),
        ("服务员非常热情，菜也很好吃", VoiceType::Delight),
    ] {
        let a = analyze(&e, "v", text);
        for c in &a.clauses {
            assert!(c.voice.is_some(), "{}", c.text);
        }
        let counts = a.voices.expect("voice counts");
        assert_eq!(counts.dominant(), want, "{text}: {counts:?}");
        let n = counts.pain + counts.itch + counts.delight + counts.neutral;
        assert_eq!(n, a.clauses.len());
    }
}

#[test]
fn eval_records_scores_what_analyze_prints() {
    let Some(dir) = default_model() else {
        eprintln!("SKIPPED: the default model is not built; run `{SETUP_COMMAND}`");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("gold.jsonl");
    let lines = [
        r#"{"id":1,"text":"物流很快，包装很好，非常满意","sentiment":"positive","set":"s"}"#,
        r#"{"id":2,"text":"质量太差了，用了两天就坏了，退货还很麻烦","sentiment":"negative","set":"s"}"#,
        r#"{"id":3,"text":"Please add dark mode to the app","voice":"itch","set":"v"}"#,
        r#"{"id":4,"text":"How do I change my delivery address?","voice":"neutral","set":"v"}"#,
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let json = tmp.path().join("report.json");
    let ev = tmp.path().join("ev.jsonl");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vocmine"))
            .args(args)
            .args(["--model", dir.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run(&[
        "eval",
        "--records",
        input.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--evidence",
        ev.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["records"], 4);
    let s = &r["groups"]["s/all"]["sentiment"];
    assert_eq!(s["n"], 2);
    // The report agrees with analyze's own labels, record by record.
    let analyzed = run(&["analyze", input.to_str().unwrap(), "-q"]);
    assert!(analyzed.status.success());
    let right = String::from_utf8_lossy(&analyzed.stdout)
        .lines()
        .zip(lines)
        .filter(|(o, g)| {
            let o: Value = serde_json::from_str(o).unwrap();
            let g: Value = serde_json::from_str(g).unwrap();
            g["sentiment"].is_string() && o["sentiment"]["label"] == g["sentiment"]
        })
        .count();
    assert_eq!(s["accuracy"].as_f64().unwrap(), right as f64 / 2.0);
    assert!(r["groups"]["v/en"]["voice"]["n"] == 2);
    // Evidence: one line of 14 features per record with sentiment.
    let ev = std::fs::read_to_string(&ev).unwrap();
    assert_eq!(ev.lines().count(), 4);
    let first: Value = serde_json::from_str(ev.lines().next().unwrap()).unwrap();
    assert_eq!(first["features"].as_array().unwrap().len(), 14);
    // A bad label is an error naming the file and line.
    std::fs::write(
        &input,
        format!("{}\n{{\"text\":\"x\",\"sentiment\":\"good\"}}\n", lines[0]),
    )
    .unwrap();
    let out = run(&["eval", "--records", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gold.jsonl") && err.contains('2') && err.contains("good"),
        "{err}"
    );
}

/// Reclassifying a store written with the model gives the analysis' points:
/// the store keeps each clause's voice type, which decides the points.
#[test]
fn reclassify_keeps_the_voice_type_points_of_the_analysis() {
    let Some(_) = default_model() else {
        eprintln!("SKIPPED: the default model is not built; run `{SETUP_COMMAND}`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    let input = dir.path().join("in.jsonl");
    let head: Vec<&str> = sample.lines().take(80).collect();
    std::fs::write(&input, head.join("\n") + "\n").unwrap();
    let cb = root().join("corpora/codebooks/automotive.yaml");
    let (store, out, re) = (
        dir.path().join("store"),
        dir.path().join("out.jsonl"),
        dir.path().join("re.jsonl"),
    );
    let run = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_vocmine"))
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[
        "analyze".as_ref(),
        input.as_os_str(),
        "--codebook".as_ref(),
        cb.as_os_str(),
        "--store".as_ref(),
        store.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ]);
    run(&[
        "reclassify".as_ref(),
        "--store".as_ref(),
        store.as_os_str(),
        "--codebook".as_ref(),
        cb.as_os_str(),
        "--no-model".as_ref(),
        "-o".as_ref(),
        re.as_os_str(),
    ]);
    let lines = |p: &PathBuf| -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (a, b) = (lines(&out), lines(&re));
    assert_eq!(a.len(), b.len());
    let mut points = 0;
    let mut mentions = 0;
    for (x, y) in a.iter().zip(&b) {
        let arr = |v: &Value| v.as_array().cloned().unwrap_or_default();
        assert_eq!(
            arr(&x["points"]),
            arr(&y["points"]),
            "points of {}",
            x["id"]
        );
        points += x["points"].as_array().map_or(0, |p| p.len());
        for c in x["clauses"].as_array().into_iter().flatten() {
            for code in c["codes"].as_array().into_iter().flatten() {
                mentions += usize::from(code["point"] == "mention");
            }
        }
    }
    assert!(
        points > 50 && mentions > 10,
        "{points} points, {mentions} mentions"
    );
}
