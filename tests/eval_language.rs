//! Contract: language identification is at least 99% correct on zh/ru/en
//! customer texts of 10+ characters and 97% on 2–9 characters (real
//! reviews, tweets with @mentions, URLs and emoji, banking queries), read
//! from ../shared/corpora.

#[path = "support/corpora.rs"]
mod corpora;
#[path = "support/langid.rs"]
mod langid;

use vocmine::Engine;

#[test]
fn language_id_accuracy_on_real_corpora() {
    let Some(dir) = corpora::shared_dir() else {
        eprintln!("SKIPPED: ../shared/corpora is not present");
        return;
    };
    let mut texts = corpora::langid_texts(&dir);
    assert!(
        texts.len() > 20_000,
        "only {} texts loaded from {}",
        texts.len(),
        dir.display()
    );
    let fragments = corpora::short_fragments(&texts, 3000);
    texts.extend(fragments);
    let engine = Engine::new().unwrap();
    let tally = langid::evaluate(&texts, |t| engine.identify(t).language.code().to_string());
    let mut failures = Vec::new();
    for lang in ["zh", "ru", "en"] {
        for (bucket, min) in [("10+", 0.99), ("2-9", 0.97)] {
            match tally.accuracy(lang, bucket) {
                Some((acc, n)) => {
                    eprintln!("{lang} {bucket}: {acc:.4} over {n}");
                    if acc < min {
                        failures.push(format!("{lang} {bucket}: {acc:.4} < {min} over {n}"));
                    }
                }
                None => eprintln!("{lang} {bucket}: no texts"),
            }
        }
    }
    eprintln!("confusions: {:?}", tally.confusion);
    assert!(failures.is_empty(), "{failures:?}");
}
