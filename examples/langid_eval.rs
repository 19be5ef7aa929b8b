//! Language identification on labelled real texts from ../shared/corpora:
//! vocmine (script rules + allowlist) against whatlang over all its
//! languages and whatlang restricted to zh/ru/en, with throughput.
//!
//! cargo run --release --example langid_eval

#[path = "../tests/support/corpora.rs"]
mod corpora;
#[path = "../tests/support/langid.rs"]
mod langid;

use std::time::Instant;

use vocmine::Engine;
use whatlang::{Detector, Lang};

fn code(l: Option<Lang>) -> String {
    match l {
        Some(Lang::Cmn) => "zh".into(),
        Some(Lang::Rus) => "ru".into(),
        Some(Lang::Eng) => "en".into(),
        Some(other) => other.code().into(),
        None => "und".into(),
    }
}

fn main() {
    let Some(dir) = corpora::shared_dir() else {
        eprintln!("../shared/corpora not found");
        std::process::exit(2);
    };
    let mut texts = corpora::langid_texts(&dir);
    let fragments = corpora::short_fragments(&texts, 3000);
    texts.extend(fragments);
    let engine = Engine::new().expect("engine");
    let allow = Detector::with_allowlist(vec![Lang::Cmn, Lang::Rus, Lang::Eng]);

    let mut rows = Vec::new();
    type Predict<'a> = Box<dyn Fn(&str) -> String + 'a>;
    let systems: Vec<(&str, Predict)> = vec![
        (
            "vocmine (script rules + allowlist zh,ru,en)",
            Box::new(|t: &str| engine.identify(t).language.code().to_string()),
        ),
        (
            "whatlang, all languages",
            Box::new(|t: &str| code(whatlang::detect_lang(t))),
        ),
        (
            "whatlang, allowlist zh,ru,en",
            Box::new(|t: &str| code(allow.detect_lang(t))),
        ),
    ];
    for (name, f) in &systems {
        let start = Instant::now();
        let tally = langid::evaluate(&texts, f);
        let secs = start.elapsed().as_secs_f64();
        rows.push((name.to_string(), tally, secs));
    }
    println!(
        "texts: {} (natural texts from the corpora + short review fragments)\n",
        texts.len()
    );
    println!("| system | zh 10+ | zh 2–9 | ru 10+ | ru 2–9 | en 10+ | en 2–9 | texts/s |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, tally, secs) in &rows {
        let mut line = format!("| {name} |");
        for lang in ["zh", "ru", "en"] {
            for b in ["10+", "2-9"] {
                match tally.accuracy(lang, b) {
                    Some((acc, n)) => line.push_str(&format!(" {:.2}% (n={n}) |", acc * 100.0)),
                    None => line.push_str(" – |"),
                }
            }
        }
        line.push_str(&format!(" {:.0} |", texts.len() as f64 / secs));
        println!("{line}");
    }
    println!("\nmost frequent confusions:");
    for (name, tally, _) in &rows {
        let mut c: Vec<_> = tally.confusion.iter().collect();
        c.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = c
            .iter()
            .take(6)
            .map(|((g, p), n)| format!("{g}→{p} {n}"))
            .collect();
        println!("- {name}: {}", top.join(", "));
    }
}
