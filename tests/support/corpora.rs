//! Loaders for the labelled public corpora in `../shared/corpora` (read in
//! place; nothing is copied into the repository). Shared by the evaluation
//! tests and the `langid_eval` example.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/corpora` relative to the crate root, if present.
pub fn shared_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("VOCMINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"))
        .join("corpora");
    dir.is_dir().then_some(dir)
}

/// Unescapes the XML entities used by the corpora.
pub fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let ent = &tail[1..end];
        let rep = match ent {
            "quot" => Some('"'),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match rep {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// All contents of `<open>…</close>` elements in a file.
pub fn xml_elements(path: &Path, open: &str, close: &str) -> Vec<String> {
    let Ok(data) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = data.as_str();
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(close) else { break };
        out.push(xml_unescape(&after[..j]));
        rest = &after[j + close.len()..];
    }
    out
}

/// One column of a CSV file with a header row.
pub fn csv_column(path: &Path, column: &str) -> Vec<String> {
    let Ok(mut r) = csv::ReaderBuilder::new().flexible(true).from_path(path) else {
        return Vec::new();
    };
    let Ok(headers) = r.headers() else {
        return Vec::new();
    };
    let Some(idx) = headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == column)
    else {
        return Vec::new();
    };
    r.records()
        .filter_map(|rec| rec.ok())
        .filter_map(|rec| rec.get(idx).map(|s| s.trim().trim_matches('"').to_string()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Real customer texts per language: (language, source, text).
pub fn langid_texts(dir: &Path) -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    let mut add = |lang: &'static str, src: &'static str, texts: Vec<String>, every: usize| {
        for (i, t) in texts.into_iter().enumerate() {
            if i % every == 0 {
                out.push((lang, src, t));
            }
        }
    };
    add(
        "zh",
        "waimai_10k",
        csv_column(&dir.join("waimai_10k/waimai_10k.csv"), "review"),
        1,
    );
    add(
        "zh",
        "online_shopping_10_cats",
        csv_column(
            &dir.join("online_shopping_10_cats/online_shopping_10_cats.csv"),
            "review",
        ),
        5,
    );
    for sub in ["banks", "telecoms"] {
        add(
            "ru",
            "SentiRuEval2015 tweets",
            xml_elements(
                &dir.join(format!(
                    "SentiRuEval2015_banks_telecom_tweets/{sub}/train.xml"
                )),
                "<column name=\"text\">",
                "</column>",
            )
            .into_iter()
            // The tweets are escaped twice (`&amp;quot;`).
            .map(|t| xml_unescape(&t))
            .collect(),
            1,
        );
    }
    add(
        "ru",
        "SemEval2016 RU restaurants",
        xml_elements(
            &dir.join("SemEval2016_Task5_RU_restaurants/train.xml"),
            "<text>",
            "</text>",
        ),
        1,
    );
    add(
        "en",
        "banking77",
        csv_column(&dir.join("banking77/train.csv"), "text"),
        1,
    );
    add(
        "en",
        "SemEval2016 EN restaurants",
        xml_elements(
            &dir.join("SemEval2016_Task5_EN/ABSA16_Restaurants_Train_SB1_v2.xml"),
            "<text>",
            "</text>",
        ),
        1,
    );
    add(
        "en",
        "SemEval2016 EN laptops",
        xml_elements(
            &dir.join("SemEval2016_Task5_EN/ABSA16_Laptops_Train_SB1_v2.xml"),
            "<text>",
            "</text>",
        ),
        1,
    );
    out
}

/// Short fragments (2–9 characters, at least two letters) cut from the
/// reviews at punctuation: the short replies and clause pieces that customer
/// texts are full of. Tweets are left out: cutting them at punctuation cuts
/// URLs and entities into pieces that belong to no language. At most `max`
/// per language, spread over the corpus.
pub fn short_fragments(
    texts: &[(&'static str, &'static str, String)],
    max: usize,
) -> Vec<(&'static str, &'static str, String)> {
    let mut per_lang: std::collections::BTreeMap<&str, Vec<(&'static str, &'static str, String)>> =
        Default::default();
    for (lang, src, text) in texts {
        if src.contains("tweets") {
            continue;
        }
        for frag in text.split(|c: char| "。！？!?.;；\n,，、…~～".contains(c)) {
            let f = frag.trim();
            let n = f.chars().count();
            if (2..=9).contains(&n) && f.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
                per_lang
                    .entry(lang)
                    .or_default()
                    .push((lang, "fragments", f.to_string()));
            }
        }
    }
    let mut out = Vec::new();
    for (_, v) in per_lang {
        let step = (v.len() / max).max(1);
        out.extend(v.into_iter().step_by(step).take(max));
    }
    out
}
