//! Language packs: what vocmine knows about a language, as data files
//! embedded at build time, one folder per language (`src/lang/<code>/`):
//!
//! | file | what | read by |
//! |---|---|---|
//! | `stopwords.txt` | stopwords, one per line | [`crate::text::tokens`] (stopword flags, keywords) |
//! | `negators.txt` | words that open a negation scope | [`crate::text::tokens`] (negation) |
//! | `lexicalized.txt` | words that begin with a negator but are lexical units (Chinese 不错, 未来) | [`crate::text::tokens`] |
//! | `itch.txt` | wish / suggestion cues, one regular expression per line | [`crate::neural::voice`] |
//! | `conversation.yaml` | conversation cues per feature (unresolved, escalation, repeat contact, apology, empathy) | [`crate::stages::conversation`] |
//! | `connectives.txt` | contrast connectives, before which a clause starts | [`crate::text::clauses`] |
//! | `roles.txt` | speaker labels per role (`customer: 客户 顾客`) | [`crate::contract::record::Role::of`] |
//! | `filler.txt` | content words that never make a theme (evaluations, light verbs, adverbs: great, like, вкусно, 不错) | [`crate::corpus::keywords`] |
//! | `generic.txt` | nouns too general to be a theme alone, fine inside a phrase (time, проблема, 问题) | [`crate::corpus::keywords`] |
//! | `pii.txt` | PII redaction cues: cues and titles that introduce a person's name (我叫, меня зовут, my name is, 先生, Mr), Chinese surnames, words after which a number is an order or ticket number (订单号, заказ, order) | [`crate::text::redact`] |
//!
//! In the `.txt` files blank lines and lines starting with `#` are
//! comments. Adding a language is a folder of these files plus one entry
//! in [`PACKS`] (ARCHITECTURE.md lists the remaining steps).

use crate::contract::language::Language;

/// The data files of one language.
#[derive(Debug, Clone, Copy)]
pub struct LanguagePack {
    /// The language.
    pub language: Language,
    /// `stopwords.txt`.
    pub stopwords: &'static str,
    /// `negators.txt`.
    pub negators: &'static str,
    /// `lexicalized.txt`.
    pub lexicalized: &'static str,
    /// `itch.txt` and its path in the repository (named in errors).
    pub itch: (&'static str, &'static str),
    /// `conversation.yaml`.
    pub conversation: &'static str,
    /// `connectives.txt`.
    pub connectives: &'static str,
    /// `roles.txt`.
    pub roles: &'static str,
    /// `filler.txt`.
    pub filler: &'static str,
    /// `generic.txt`.
    pub generic: &'static str,
    /// `pii.txt`.
    pub pii: &'static str,
}

macro_rules! pack {
    ($language:expr, $code:literal) => {
        LanguagePack {
            language: $language,
            stopwords: include_str!(concat!($code, "/stopwords.txt")),
            negators: include_str!(concat!($code, "/negators.txt")),
            lexicalized: include_str!(concat!($code, "/lexicalized.txt")),
            itch: (
                concat!("src/lang/", $code, "/itch.txt"),
                include_str!(concat!($code, "/itch.txt")),
            ),
            conversation: include_str!(concat!($code, "/conversation.yaml")),
            connectives: include_str!(concat!($code, "/connectives.txt")),
            roles: include_str!(concat!($code, "/roles.txt")),
            filler: include_str!(concat!($code, "/filler.txt")),
            generic: include_str!(concat!($code, "/generic.txt")),
            pii: include_str!(concat!($code, "/pii.txt")),
        }
    };
}

/// Every built-in language pack.
pub const PACKS: [LanguagePack; 3] = [
    pack!(Language::ZH, "zh"),
    pack!(Language::RU, "ru"),
    pack!(Language::EN, "en"),
];

/// The entries of a `.txt` data file: trimmed lines that are neither blank
/// nor comments.
pub fn entries(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The `(role, label)` pairs of a `roles.txt` file (`role: label label ...`;
/// labels lowercased). Lines without a `:` are skipped.
pub fn role_labels(text: &'static str) -> impl Iterator<Item = (&'static str, String)> {
    entries(text)
        .filter_map(|l| l.split_once(':'))
        .flat_map(|(role, labels)| {
            labels
                .split_whitespace()
                .map(move |label| (role.trim(), label.to_lowercase()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_has_its_files_and_they_parse() {
        for p in PACKS {
            assert!(entries(p.stopwords).count() > 20, "{}", p.language);
            assert!(entries(p.negators).count() > 10, "{}", p.language);
            assert!(entries(p.itch.1).count() > 5, "{}", p.language);
            let cues: std::collections::BTreeMap<String, Vec<String>> =
                serde_yaml_ng::from_str(p.conversation).unwrap();
            assert_eq!(cues.len(), 5, "{}", p.language);
            assert!(cues.values().all(|v| !v.is_empty()));
        }
        assert!(entries(PACKS[0].lexicalized).any(|w| w == "不错"));
        for p in PACKS {
            assert!(entries(p.connectives).count() >= 3, "{}", p.language);
            assert!(entries(p.connectives).all(|w| !w.contains(char::is_whitespace)));
            assert!(entries(p.filler).count() >= 20, "{}", p.language);
            assert!(entries(p.generic).count() >= 10, "{}", p.language);
            let roles: Vec<_> = role_labels(p.roles).collect();
            assert!(roles.len() >= 4, "{}", p.language);
            for (role, label) in roles {
                assert!(
                    ["customer", "agent", "bot", "system"].contains(&role),
                    "{}: role {role} of {label}",
                    p.language
                );
            }
        }
    }
}
