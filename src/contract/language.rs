//! Languages and scripts as the output names them. How they are identified
//! is [`crate::text::language`].

use std::fmt;

use serde::{Serialize, Serializer};

/// An ISO 639-1 language code (`zh`, `ru`, `en`, ...), or `und`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(pub(crate) &'static str);

impl Language {
    /// Undetermined.
    pub const UND: Language = Language("und");
    /// Chinese.
    pub const ZH: Language = Language("zh");
    /// Russian.
    pub const RU: Language = Language("ru");
    /// English.
    pub const EN: Language = Language("en");

    /// The code as a string.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// Whether this is `und`.
    pub fn is_und(self) -> bool {
        self.0 == "und"
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// A writing system, with its ISO 15924 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Script {
    /// Simplified Han.
    Hans,
    /// Traditional Han.
    Hant,
    /// Japanese (Han + kana).
    Jpan,
    /// Korean (Hangul).
    Kore,
    /// Cyrillic.
    Cyrl,
    /// Latin.
    Latn,
    /// Arabic.
    Arab,
    /// Greek.
    Grek,
    /// Hebrew.
    Hebr,
    /// Thai.
    Thai,
    /// Devanagari.
    Deva,
    /// Georgian.
    Geor,
    /// Armenian.
    Armn,
    /// No letters (digits, emoji, punctuation only) or an unknown script.
    Zyyy,
}

impl Script {
    /// The ISO 15924 code.
    pub fn code(self) -> &'static str {
        match self {
            Script::Hans => "Hans",
            Script::Hant => "Hant",
            Script::Jpan => "Jpan",
            Script::Kore => "Kore",
            Script::Cyrl => "Cyrl",
            Script::Latn => "Latn",
            Script::Arab => "Arab",
            Script::Grek => "Grek",
            Script::Hebr => "Hebr",
            Script::Thai => "Thai",
            Script::Deva => "Deva",
            Script::Geor => "Geor",
            Script::Armn => "Armn",
            Script::Zyyy => "Zyyy",
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The share of one language in a multi-clause text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LanguageShare {
    /// The language.
    pub language: Language,
    /// Its share of the weighted letters, 0–1 (rounded to 3 decimals).
    pub share: f32,
}
