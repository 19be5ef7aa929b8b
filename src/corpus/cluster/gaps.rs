//! Codebook-gap suggestions: a YAML snippet of a new code for a cluster the
//! codebook covers poorly.
//!
//! * **id**: the top two English keywords (else those of the cluster's main
//!   language), joined by `_` (letters and digits kept, lower-cased), under
//!   the guessed parent (`parent.keyword_keyword`), made unique against the
//!   codebook's ids;
//! * **labels**: per language, the top three keywords joined by ` / `;
//! * **exemplars**: the clauses closest to the centroid;
//! * **parent**: the parent of the dominant code of the nearest well-coded
//!   clusters (by centroid similarity), voted with their similarities; none
//!   when those codes are top-level (the new code is their sibling).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::stages::codebook::CodeSpec;

use super::report::Keyword;

/// The evidence for one suggestion.
pub(crate) struct GapInput<'a> {
    pub cluster: u32,
    pub size: usize,
    pub coded_share: f64,
    pub main_language: &'a str,
    pub keywords: &'a BTreeMap<String, Vec<Keyword>>,
    pub exemplars: Vec<&'a str>,
    /// Nearest well-coded clusters: (id, similarity, dominant code).
    pub neighbours: Vec<(u32, f32, &'a str)>,
}

fn slug(terms: &[&str]) -> String {
    let mut out = String::new();
    for t in terms {
        let s: String = t
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        let s = s.trim_matches('_');
        if s.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(s);
    }
    out
}

/// Guesses the parent: the similarity-weighted vote over the parents of the
/// neighbours' dominant codes (`None` votes for a top-level code).
pub(crate) fn guess_parent(
    neighbours: &[(u32, f32, &str)],
    parents: &HashMap<String, Option<String>>,
) -> Option<String> {
    let mut votes: Vec<(Option<String>, f64)> = Vec::new();
    for &(_, sim, code) in neighbours {
        let parent = match parents.get(code) {
            Some(p) => p.clone(),
            // Not in the codebook given (or none given): the dotted prefix.
            None => code.rsplit_once('.').map(|(p, _)| p.to_string()),
        };
        match votes.iter_mut().find(|v| v.0 == parent) {
            Some(v) => v.1 += f64::from(sim),
            None => votes.push((parent, f64::from(sim))),
        }
    }
    votes
        .into_iter()
        .reduce(|a, b| if b.1 > a.1 { b } else { a })
        .and_then(|v| v.0)
}

/// The YAML snippet (one code as a list item, with a comment line).
pub(crate) fn suggest(
    g: &GapInput<'_>,
    parents: &HashMap<String, Option<String>>,
    existing: &HashSet<String>,
) -> String {
    let parent = guess_parent(&g.neighbours, parents);
    // Ids of the shipped codebooks are English; English keywords, when the
    // cluster has any, name the code, else the main language's.
    let main: Vec<&str> = g
        .keywords
        .get("en")
        .filter(|k| !k.is_empty())
        .or_else(|| g.keywords.get(g.main_language))
        .or_else(|| g.keywords.values().next())
        .map(|k| k.iter().take(2).map(|k| k.term.as_str()).collect())
        .unwrap_or_default();
    let mut leaf = slug(&main);
    if leaf.is_empty() {
        leaf = format!("cluster_{}", g.cluster);
    }
    let base = match &parent {
        Some(p) => format!("{p}.{leaf}"),
        None => leaf,
    };
    let mut id = base.clone();
    let mut n = 2;
    while existing.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    let labels: BTreeMap<String, String> = g
        .keywords
        .iter()
        .map(|(lang, k)| {
            let terms: Vec<&str> = k.iter().take(3).map(|k| k.term.as_str()).collect();
            (lang.clone(), terms.join(" / "))
        })
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let spec = CodeSpec {
        id,
        parent,
        labels,
        description: Some(format!(
            "Suggested from cluster {} ({} clauses, {:.0}% coded).",
            g.cluster,
            g.size,
            100.0 * g.coded_share
        )),
        exemplars: g.exemplars.iter().map(|s| s.to_string()).collect(),
        ..CodeSpec::default()
    };
    let near: Vec<String> = g
        .neighbours
        .iter()
        .map(|(id, s, code)| format!("{code} (cluster {id}, {s:.2})"))
        .collect();
    let comment = if near.is_empty() {
        "# nearest coded clusters: none".to_string()
    } else {
        format!("# nearest coded clusters: {}", near.join(", "))
    };
    match serde_yaml_ng::to_string(&vec![spec]) {
        // Indented as an entry of a codebook's `codes:` list (two spaces,
        // as in corpora/codebooks), ready to paste there.
        Ok(yaml) => {
            let mut out = format!("  {comment}\n");
            for line in yaml.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
            out
        }
        Err(e) => format!("{comment}\n# could not write the suggestion: {e}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_parses_as_a_code() {
        let kw = |t: &str| Keyword {
            term: t.into(),
            score: 1.0,
            count: 3,
        };
        let mut keywords = BTreeMap::new();
        keywords.insert(
            "en".to_string(),
            vec![kw("Apple Pay"), kw("top-up"), kw("fails")],
        );
        keywords.insert("zh".to_string(), vec![kw("充值"), kw("失败")]);
        let mut parents = HashMap::new();
        parents.insert(
            "banking.payments.topup".to_string(),
            Some("banking.payments".to_string()),
        );
        parents.insert(
            "banking.payments.card".to_string(),
            Some("banking.payments".to_string()),
        );
        parents.insert("banking.cards".to_string(), Some("banking".to_string()));
        let g = GapInput {
            cluster: 7,
            size: 40,
            coded_share: 0.05,
            main_language: "en",
            keywords: &keywords,
            exemplars: vec!["My Apple Pay top-up failed: \"again\"", "充值失败"],
            neighbours: vec![
                (2, 0.93, "banking.payments.topup"),
                (5, 0.91, "banking.cards"),
                (9, 0.90, "banking.payments.card"),
            ],
        };
        let mut existing = HashSet::new();
        existing.insert("banking.payments.apple_pay_top_up".to_string());
        let yaml = suggest(&g, &parents, &existing);
        assert!(yaml.starts_with("  # nearest coded clusters: banking.payments.topup"));
        let codes: Vec<CodeSpec> = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(codes[0].id, "banking.payments.apple_pay_top_up_2");
        assert_eq!(codes[0].parent.as_deref(), Some("banking.payments"));
        assert_eq!(codes[0].labels["zh"], "充值 / 失败");
        assert_eq!(codes[0].exemplars.len(), 2);
        // Without a codebook, dotted prefixes; top-level codes vote for none.
        let none = HashMap::new();
        assert_eq!(guess_parent(&[(1, 0.9, "billing")], &none), None);
        assert_eq!(
            guess_parent(&[(1, 0.9, "a.b")], &none).as_deref(),
            Some("a")
        );
    }
}
