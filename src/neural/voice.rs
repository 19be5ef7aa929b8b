//! Wish cues of the voice-type stage: per-language regular expressions that
//! mark a customer clause as an itch (痒点: a wish, suggestion or unmet need)
//! whatever the model says, because a wish is what CX teams look for and the
//! model's itch head is trained on English only (Chinese and Russian rely on
//! cross-lingual transfer plus these cues).
//!
//! The cues are data, one file per language in the language packs (`src/lang/<code>/itch.txt`)
//! (one regular expression per line, `#` comments), matched against the
//! lowercased clause. How cues and the model combine is in
//! [`crate::neural::sentiment::Voice`].

use std::collections::HashMap;

use regex::Regex;

use crate::error::{Error, Result};
use crate::text::language::Language;

/// Compiled wish cues, one alternation per language.
#[derive(Debug, Clone)]
pub struct WishCues {
    by_language: HashMap<Language, Regex>,
}

impl WishCues {
    /// The built-in cues for Chinese, Russian and English.
    pub fn builtin() -> Result<WishCues> {
        let mut cues = WishCues {
            by_language: HashMap::new(),
        };
        for pack in crate::lang::PACKS {
            let (name, text) = pack.itch;
            cues.add(pack.language, std::path::Path::new(name), text)?;
        }
        Ok(cues)
    }

    /// Adds (or replaces) the cues of a language from the text of a cue file;
    /// a bad expression is an error naming the file and line.
    pub fn add(&mut self, language: Language, file: &std::path::Path, text: &str) -> Result<()> {
        let mut parts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            Regex::new(line).map_err(|e| Error::Resource {
                path: file.to_owned(),
                line: i as u64 + 1,
                message: format!("invalid wish cue: {e}"),
            })?;
            parts.push(format!("(?:{line})"));
        }
        if parts.is_empty() {
            self.by_language.remove(&language);
            return Ok(());
        }
        let re = Regex::new(&parts.join("|")).map_err(|e| Error::Resource {
            path: file.to_owned(),
            line: 0,
            message: format!("wish cues do not compile together: {e}"),
        })?;
        self.by_language.insert(language, re);
        Ok(())
    }

    /// Whether a clause of this language has a wish cue.
    pub fn matches(&self, language: Language, clause: &str) -> bool {
        self.by_language
            .get(&language)
            .is_some_and(|re| re.is_match(&clause.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_cues_mark_wishes_in_three_languages() {
        let c = WishCues::builtin().unwrap();
        for (l, t) in [
            (Language::ZH, "要是有中文菜单就好了"),
            (Language::ZH, "建議增加夜間配送"),
            (Language::RU, "Хотелось бы больше вариантов оплаты"),
            (Language::RU, "было бы удобно добавить ночной режим"),
            (
                Language::EN,
                "It would be great if the hotel offered a free airport shuttle",
            ),
            (Language::EN, "Please add dark mode"),
        ] {
            assert!(c.matches(l, t), "{t}");
        }
        for (l, t) in [
            (Language::ZH, "物流很快，包装也好"),
            (Language::RU, "Курьер опоздал на два часа"),
            (Language::EN, "They should have told us earlier"),
            (Language::EN, "Please send me the invoice"),
        ] {
            assert!(!c.matches(l, t), "{t}");
        }
        // Another language's cues do not apply.
        assert!(!c.matches(Language::RU, "please add dark mode"));
    }

    #[test]
    fn a_bad_cue_names_its_file_and_line() {
        let mut c = WishCues::builtin().unwrap();
        let e = c
            .add(Language::EN, std::path::Path::new("x.txt"), "# c\nok\n(bad")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.txt") && e.contains('3'), "{e}");
    }
}
