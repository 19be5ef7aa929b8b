//! Language identification: script rules first, whatlang only where a script
//! is shared by several allowed languages.
//!
//! Customer texts are short, mixed and noisy (`@bank спасибо!`, `好的`,
//! `ok 👍`). n-gram identifiers such as whatlang, asked to choose among ~70
//! languages, label many short Russian and English comments as Ukrainian,
//! Bulgarian, Welsh and the like. The [`ScriptLanguageIdentifier`] therefore
//!
//! 1. counts letters per script, skipping URLs, e-mail addresses and
//!    `@mentions`, and weighting Han, kana and Hangul characters ×3 (one such
//!    character carries about as much as a short Latin word);
//! 2. takes the dominant script; scripts used by one language decide it
//!    (Han → `zh`, or `ja` when kana make up a quarter of the CJK letters;
//!    Hangul → `ko`; Greek → `el`; ...);
//! 3. for shared scripts (Latin, Cyrillic, Arabic, Devanagari) chooses among
//!    the *allowed* languages of that script: directly if only one is allowed
//!    (the default allowlist `zh, ru, en` has one per script), otherwise with
//!    whatlang restricted to them.
//!
//! Chinese gets the script `Hant` when traditional-only characters make up at
//! least 10% of its Han characters, `Hans` otherwise.

use std::collections::BTreeMap;
use std::fmt;

pub use crate::contract::language::{Language, LanguageShare, Script};
use crate::contract::redaction::PiiKind;
use crate::error::{Error, Result};
use crate::text::normalize::{is_alnum, is_han, is_letter, is_traditional_only};

impl Language {
    /// Looks up an ISO 639-1 code (case-insensitive) among the languages
    /// vocmine can identify.
    pub fn from_code(code: &str) -> Option<Language> {
        let c = code.trim().to_ascii_lowercase();
        if c == "und" {
            return Some(Language::UND);
        }
        LANGS.iter().find(|l| l.iso1 == c).map(|l| Language(l.iso1))
    }
}

/// The result of identifying one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    /// The language (`und` when nothing can be said).
    pub language: Language,
    /// The script.
    pub script: Script,
    /// Weighted letter count behind the decision (Han ×3); used to combine
    /// clause decisions into turn and record decisions.
    pub weight: u32,
    /// Han characters in the text, and how many are traditional-only forms.
    pub han: (u32, u32),
}

impl Detection {
    /// Nothing could be said.
    pub const UND: Detection = Detection {
        language: Language::UND,
        script: Script::Zyyy,
        weight: 0,
        han: (0, 0),
    };
}

/// A language identifier: one stage of the pipeline, replaceable through
/// [`crate::EngineBuilder::language_identifier`].
pub trait LanguageIdentifier: Send + Sync + fmt::Debug {
    /// Identifies the language of a normalized text.
    fn identify(&self, text: &str) -> Detection;
}

struct LangInfo {
    iso1: &'static str,
    whatlang: Option<whatlang::Lang>,
    script: Script,
}

macro_rules! langs {
    ($(($iso:literal, $wl:expr, $script:ident)),* $(,)?) => {
        &[$(LangInfo { iso1: $iso, whatlang: $wl, script: Script::$script }),*]
    };
}

use whatlang::Lang as W;

/// The languages vocmine can name, with their whatlang counterpart and script.
static LANGS: &[LangInfo] = langs![
    ("zh", Some(W::Cmn), Hans),
    ("ja", Some(W::Jpn), Jpan),
    ("ko", Some(W::Kor), Kore),
    ("el", Some(W::Ell), Grek),
    ("he", Some(W::Heb), Hebr),
    ("yi", Some(W::Yid), Hebr),
    ("th", Some(W::Tha), Thai),
    ("ka", Some(W::Kat), Geor),
    ("hy", Some(W::Hye), Armn),
    ("ru", Some(W::Rus), Cyrl),
    ("uk", Some(W::Ukr), Cyrl),
    ("be", Some(W::Bel), Cyrl),
    ("bg", Some(W::Bul), Cyrl),
    ("sr", Some(W::Srp), Cyrl),
    ("mk", Some(W::Mkd), Cyrl),
    ("en", Some(W::Eng), Latn),
    ("es", Some(W::Spa), Latn),
    ("pt", Some(W::Por), Latn),
    ("fr", Some(W::Fra), Latn),
    ("de", Some(W::Deu), Latn),
    ("it", Some(W::Ita), Latn),
    ("nl", Some(W::Nld), Latn),
    ("pl", Some(W::Pol), Latn),
    ("cs", Some(W::Ces), Latn),
    ("sk", Some(W::Slk), Latn),
    ("sl", Some(W::Slv), Latn),
    ("hr", Some(W::Hrv), Latn),
    ("hu", Some(W::Hun), Latn),
    ("ro", Some(W::Ron), Latn),
    ("tr", Some(W::Tur), Latn),
    ("az", Some(W::Aze), Latn),
    ("uz", Some(W::Uzb), Latn),
    ("tk", Some(W::Tuk), Latn),
    ("sv", Some(W::Swe), Latn),
    ("da", Some(W::Dan), Latn),
    ("nb", Some(W::Nob), Latn),
    ("fi", Some(W::Fin), Latn),
    ("et", Some(W::Est), Latn),
    ("lv", Some(W::Lav), Latn),
    ("lt", Some(W::Lit), Latn),
    ("id", Some(W::Ind), Latn),
    ("vi", Some(W::Vie), Latn),
    ("tl", Some(W::Tgl), Latn),
    ("jv", Some(W::Jav), Latn),
    ("ca", Some(W::Cat), Latn),
    ("la", Some(W::Lat), Latn),
    ("eo", Some(W::Epo), Latn),
    ("cy", Some(W::Cym), Latn),
    ("af", Some(W::Afr), Latn),
    ("zu", Some(W::Zul), Latn),
    ("sn", Some(W::Sna), Latn),
    ("ak", Some(W::Aka), Latn),
    ("ar", Some(W::Ara), Arab),
    ("fa", Some(W::Pes), Arab),
    ("ur", Some(W::Urd), Arab),
    ("hi", Some(W::Hin), Deva),
    ("mr", Some(W::Mar), Deva),
    ("ne", Some(W::Nep), Deva),
];

/// The default allowlist: Chinese, Russian, English.
pub const DEFAULT_LANGUAGES: [&str; 3] = ["zh", "ru", "en"];

/// Letter counts per script of a text (URLs, e-mails and mentions skipped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    /// Han characters.
    pub han: u32,
    /// Hiragana and katakana.
    pub kana: u32,
    /// Hangul.
    pub hangul: u32,
    /// Cyrillic letters.
    pub cyrillic: u32,
    /// Latin letters.
    pub latin: u32,
    /// Arabic letters.
    pub arabic: u32,
    /// Greek letters.
    pub greek: u32,
    /// Hebrew letters.
    pub hebrew: u32,
    /// Thai letters.
    pub thai: u32,
    /// Devanagari letters.
    pub devanagari: u32,
    /// Georgian letters.
    pub georgian: u32,
    /// Armenian letters.
    pub armenian: u32,
    /// Han characters that are traditional-only forms.
    pub traditional: u32,
}

impl ScriptCounts {
    /// Counts the letters of `text`. URLs, e-mail addresses, `@mentions`,
    /// redaction placeholders (`[PHONE]`) and `#hashtags` are skipped; hashtags count only when the text has no
    /// other letter (`#отлично`).
    pub fn of(text: &str) -> ScriptCounts {
        let mut counts = ScriptCounts::default();
        let mut tags = ScriptCounts::default();
        let bytes = text.as_bytes();
        // 0: counting, 1: skipping to the next space, 2: inside a hashtag.
        let mut mode = 0u8;
        // An ASCII letter or digit just before (a URL may follow Chinese text directly).
        let mut prev_is_word = false;
        // End of a redaction placeholder (`[PHONE]`) being skipped.
        let mut skip_to = 0usize;
        for (i, c) in text.char_indices() {
            if i < skip_to {
                continue;
            }
            if c == '[' {
                if let Some((_, len)) = PiiKind::placeholder_at(&text[i..]) {
                    skip_to = i + len;
                    prev_is_word = false;
                    continue;
                }
            }
            if c.is_whitespace() {
                mode = 0;
                prev_is_word = false;
                continue;
            }
            match mode {
                1 => continue,
                2 if is_alnum(c) || c == '_' => {
                    tags.add(c);
                    continue;
                }
                2 => mode = 0,
                _ => {}
            }
            if !prev_is_word && starts_protected(&bytes[i..]) {
                mode = 1;
                continue;
            }
            if c == '@' {
                // A mention (`@bank`) or the domain part of an e-mail: skip the rest of the word.
                mode = 1;
                continue;
            }
            if c == '#' && !prev_is_word {
                mode = 2;
                continue;
            }
            prev_is_word = c.is_ascii_alphanumeric();
            counts.add(c);
        }
        if counts.letters() == 0 {
            return tags;
        }
        counts
    }

    /// All letters counted.
    pub fn letters(&self) -> u32 {
        self.han
            + self.kana
            + self.hangul
            + self.cyrillic
            + self.latin
            + self.arabic
            + self.greek
            + self.hebrew
            + self.thai
            + self.devanagari
            + self.georgian
            + self.armenian
    }

    fn add(&mut self, c: char) {
        let u = c as u32;
        match u {
            0x41..=0x5A | 0x61..=0x7A => self.latin += 1,
            0x80..=0x2FF if is_letter(c) => self.latin += 1,
            0x1E00..=0x1EFF => self.latin += 1,
            0x370..=0x3FF => self.greek += 1,
            0x400..=0x52F => self.cyrillic += 1,
            0x531..=0x58F => self.armenian += 1,
            0x5D0..=0x5FF => self.hebrew += 1,
            0x620..=0x64A | 0x66E..=0x6FF | 0x750..=0x77F => self.arabic += 1,
            0x900..=0x97F if is_letter(c) => self.devanagari += 1,
            0xE01..=0xE5B => self.thai += 1,
            0x10A0..=0x10FF => self.georgian += 1,
            0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => self.hangul += 1,
            0x3040..=0x309F | 0x30A1..=0x30FA | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => self.kana += 1,
            _ if is_han(c) => {
                self.han += 1;
                if is_traditional_only(c) {
                    self.traditional += 1;
                }
            }
            _ => {}
        }
    }

    /// Adds another text's counts.
    pub fn merge(&mut self, o: &ScriptCounts) {
        self.han += o.han;
        self.kana += o.kana;
        self.hangul += o.hangul;
        self.cyrillic += o.cyrillic;
        self.latin += o.latin;
        self.arabic += o.arabic;
        self.greek += o.greek;
        self.hebrew += o.hebrew;
        self.thai += o.thai;
        self.devanagari += o.devanagari;
        self.georgian += o.georgian;
        self.armenian += o.armenian;
        self.traditional += o.traditional;
    }

    /// The dominant script group and its weight. CJK letters count ×3 (one
    /// character carries about a word); Cyrillic letters ×2, because Russian
    /// customer texts often carry Latin brand and product names (`настройка
    /// mms mts android`) while English texts seldom carry Cyrillic. Ties
    /// prefer Han, then Cyrillic, then Latin. Fewer than two letters of an
    /// alphabetic script (`P.`) say nothing.
    fn dominant(&self) -> Option<(Script, u32)> {
        if self.han + self.kana + self.hangul == 0 && self.letters() < 2 {
            return None;
        }
        let cjk = (self.han + self.kana) * 3;
        let candidates = [
            (Script::Hans, cjk),
            (Script::Kore, self.hangul * 3),
            (Script::Cyrl, self.cyrillic * 2),
            (Script::Latn, self.latin),
            (Script::Arab, self.arabic),
            (Script::Grek, self.greek),
            (Script::Hebr, self.hebrew),
            (Script::Thai, self.thai),
            (Script::Deva, self.devanagari),
            (Script::Geor, self.georgian),
            (Script::Armn, self.armenian),
        ];
        let mut best: Option<(Script, u32)> = None;
        for (s, w) in candidates {
            if w > 0 && best.is_none_or(|(_, bw)| w > bw) {
                best = Some((s, w));
            }
        }
        best
    }
}

/// `http://`, `https://` or `www.` at the start of a word.
fn starts_protected(b: &[u8]) -> bool {
    fn starts_ci(b: &[u8], p: &[u8]) -> bool {
        b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
    }
    starts_ci(b, b"http://") || starts_ci(b, b"https://") || starts_ci(b, b"www.")
}

/// Builds a [`ScriptLanguageIdentifier`].
#[derive(Debug, Clone)]
pub struct LanguageIdentifierBuilder {
    languages: Vec<String>,
    traditional_share: f32,
}

impl Default for LanguageIdentifierBuilder {
    fn default() -> Self {
        LanguageIdentifierBuilder {
            languages: DEFAULT_LANGUAGES.iter().map(|s| s.to_string()).collect(),
            traditional_share: 0.1,
        }
    }
}

impl LanguageIdentifierBuilder {
    /// The allowlist: ISO 639-1 codes, or `all` for every language vocmine
    /// knows. Order matters only as a tie-breaker for very short texts.
    pub fn languages<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.languages = codes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    /// Share of traditional-only characters among Han characters from which
    /// Chinese text is labelled `Hant` (default 0.1).
    pub fn traditional_share(mut self, share: f32) -> Self {
        self.traditional_share = share;
        self
    }

    /// Validates the allowlist and builds the identifier.
    pub fn build(self) -> Result<ScriptLanguageIdentifier> {
        let mut allowed: Vec<&'static LangInfo> = Vec::new();
        for code in &self.languages {
            let code = code.trim();
            if code.eq_ignore_ascii_case("all") {
                for l in LANGS {
                    if !allowed.iter().any(|a| a.iso1 == l.iso1) {
                        allowed.push(l);
                    }
                }
                continue;
            }
            let info = LANGS
                .iter()
                .find(|l| l.iso1.eq_ignore_ascii_case(code))
                .ok_or_else(|| {
                    Error::Config(format!(
                        "unknown language `{code}` in the language allowlist (use ISO 639-1 codes such as zh, ru, en, or `all`; known: {})",
                        LANGS.iter().map(|l| l.iso1).collect::<Vec<_>>().join(", ")
                    ))
                })?;
            if !allowed.iter().any(|a| a.iso1 == info.iso1) {
                allowed.push(info);
            }
        }
        if allowed.is_empty() {
            return Err(Error::Config("the language allowlist is empty".into()));
        }
        if !(0.0..=1.0).contains(&self.traditional_share) {
            return Err(Error::Config(format!(
                "traditional_share must be within 0..=1, got {}",
                self.traditional_share
            )));
        }
        let mut per_script: BTreeMap<Script, Vec<&'static LangInfo>> = BTreeMap::new();
        for l in &allowed {
            per_script.entry(l.script).or_default().push(l);
        }
        let shared = |s: Script| -> SharedScript {
            let langs: Vec<&'static LangInfo> = per_script.get(&s).cloned().unwrap_or_default();
            // A script with no allowed language falls back to all its languages.
            let langs = if langs.is_empty() {
                LANGS.iter().filter(|l| l.script == s).collect()
            } else {
                langs
            };
            let detector = (langs.len() > 1).then(|| {
                whatlang::Detector::with_allowlist(
                    langs.iter().filter_map(|l| l.whatlang).collect(),
                )
            });
            SharedScript {
                first: Language(langs.first().map(|l| l.iso1).unwrap_or("und")),
                langs: langs
                    .iter()
                    .map(|l| (l.whatlang, Language(l.iso1)))
                    .collect(),
                detector,
            }
        };
        Ok(ScriptLanguageIdentifier {
            allowed: allowed.iter().map(|l| Language(l.iso1)).collect(),
            latin: shared(Script::Latn),
            cyrillic: shared(Script::Cyrl),
            arabic: shared(Script::Arab),
            devanagari: shared(Script::Deva),
            hebrew: shared(Script::Hebr),
            traditional_share: self.traditional_share,
        })
    }
}

struct SharedScript {
    first: Language,
    langs: Vec<(Option<whatlang::Lang>, Language)>,
    detector: Option<whatlang::Detector>,
}

impl fmt::Debug for SharedScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedScript")
            .field("langs", &self.langs.iter().map(|l| l.1).collect::<Vec<_>>())
            .finish()
    }
}

impl SharedScript {
    fn choose(&self, text: &str) -> Language {
        let Some(detector) = &self.detector else {
            return self.first;
        };
        match detector.detect_lang(text) {
            Some(w) => self
                .langs
                .iter()
                .find(|(wl, _)| *wl == Some(w))
                .map(|(_, l)| *l)
                .unwrap_or(self.first),
            None => self.first,
        }
    }
}

/// The default identifier: script rules plus whatlang over an allowlist.
#[derive(Debug)]
pub struct ScriptLanguageIdentifier {
    allowed: Vec<Language>,
    latin: SharedScript,
    cyrillic: SharedScript,
    arabic: SharedScript,
    devanagari: SharedScript,
    hebrew: SharedScript,
    traditional_share: f32,
}

impl ScriptLanguageIdentifier {
    /// A builder with the default allowlist (`zh`, `ru`, `en`).
    pub fn builder() -> LanguageIdentifierBuilder {
        LanguageIdentifierBuilder::default()
    }

    /// The allowed languages.
    pub fn allowed(&self) -> &[Language] {
        &self.allowed
    }

    /// Share of traditional-only Han characters from which Chinese is `Hant`.
    pub fn traditional_share(&self) -> f32 {
        self.traditional_share
    }

    fn han_script(&self, han: u32, traditional: u32) -> Script {
        han_script(han, traditional, self.traditional_share)
    }

    /// Identifies a text from precomputed counts (see [`ScriptCounts::of`]).
    pub fn identify_counts(&self, text: &str, counts: &ScriptCounts) -> Detection {
        let Some((script, weight)) = counts.dominant() else {
            return Detection::UND;
        };
        let hanc = (counts.han, counts.traditional);
        let (language, script) = match script {
            Script::Hans => {
                let cjk = counts.han + counts.kana;
                if counts.kana * 4 >= cjk {
                    (Language("ja"), Script::Jpan)
                } else {
                    (
                        Language::ZH,
                        self.han_script(counts.han, counts.traditional),
                    )
                }
            }
            Script::Kore => (Language("ko"), Script::Kore),
            Script::Grek => (Language("el"), Script::Grek),
            Script::Thai => (Language("th"), Script::Thai),
            Script::Geor => (Language("ka"), Script::Geor),
            Script::Armn => (Language("hy"), Script::Armn),
            Script::Hebr => (self.hebrew.choose(text), Script::Hebr),
            Script::Cyrl => (self.cyrillic.choose(text), Script::Cyrl),
            Script::Latn => (self.latin.choose(text), Script::Latn),
            Script::Arab => (self.arabic.choose(text), Script::Arab),
            Script::Deva => (self.devanagari.choose(text), Script::Deva),
            Script::Hant | Script::Jpan | Script::Zyyy => return Detection::UND,
        };
        Detection {
            language,
            script,
            weight,
            han: hanc,
        }
    }
}

impl LanguageIdentifier for ScriptLanguageIdentifier {
    fn identify(&self, text: &str) -> Detection {
        let counts = ScriptCounts::of(text);
        self.identify_counts(text, &counts)
    }
}

fn han_script(han: u32, traditional: u32, share: f32) -> Script {
    if traditional > 0 && traditional as f32 >= share * han as f32 {
        Script::Hant
    } else {
        Script::Hans
    }
}

/// Combines clause detections into one decision for a turn or a record: the
/// language carrying the most weighted letters wins (ties: first seen); the
/// Chinese script is decided on the pooled Han counts.
#[derive(Debug, Default, Clone)]
pub struct LanguageVote {
    weights: Vec<(Language, Script, u32)>,
    han: (u32, u32),
}

impl LanguageVote {
    /// Adds one detection.
    pub fn add(&mut self, d: &Detection) {
        if d.language.is_und() {
            return;
        }
        self.han.0 += d.han.0;
        self.han.1 += d.han.1;
        self.bump(d.language, d.script, d.weight);
    }

    fn bump(&mut self, language: Language, script: Script, weight: u32) {
        match self.weights.iter_mut().find(|(l, _, _)| *l == language) {
            Some(entry) => entry.2 += weight,
            None => self.weights.push((language, script, weight)),
        }
    }

    /// Adds another vote (e.g. a turn's into its record's).
    pub fn merge(&mut self, other: &LanguageVote) {
        self.han.0 += other.han.0;
        self.han.1 += other.han.1;
        for &(l, s, w) in &other.weights {
            self.bump(l, s, w);
        }
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The winning language and script (`und`/`Zyyy` when empty).
    pub fn decide(&self, traditional_share: f32) -> (Language, Script) {
        let mut best: Option<&(Language, Script, u32)> = None;
        for w in &self.weights {
            if best.is_none_or(|b| w.2 > b.2) {
                best = Some(w);
            }
        }
        match best {
            None => (Language::UND, Script::Zyyy),
            Some((l, s, _)) => {
                let script = match s {
                    Script::Hans | Script::Hant => {
                        han_script(self.han.0, self.han.1, traditional_share)
                    }
                    other => *other,
                };
                (*l, script)
            }
        }
    }

    /// Each language's share of the weighted letters, largest first.
    pub fn shares(&self) -> Vec<LanguageShare> {
        let total: u32 = self.weights.iter().map(|w| w.2).sum();
        if total == 0 {
            return Vec::new();
        }
        let mut out: Vec<LanguageShare> = self
            .weights
            .iter()
            .map(|(l, _, w)| LanguageShare {
                language: *l,
                share: ((*w as f64 / total as f64) * 1000.0).round() as f32 / 1000.0,
            })
            .collect();
        out.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then(a.language.cmp(&b.language))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::Normalizer;

    fn id(text: &str) -> (String, Script) {
        let li = ScriptLanguageIdentifier::builder().build().unwrap();
        let n = Normalizer::new().normalize(text);
        let d = li.identify(n.text());
        (d.language.code().to_string(), d.script)
    }

    #[test]
    fn short_replies() {
        assert_eq!(id("好的"), ("zh".into(), Script::Hans));
        assert_eq!(id("謝謝"), ("zh".into(), Script::Hant));
        assert_eq!(id("да"), ("ru".into(), Script::Cyrl));
        assert_eq!(id("ok"), ("en".into(), Script::Latn));
        assert_eq!(id("👍👍"), ("und".into(), Script::Zyyy));
        assert_eq!(id("12315"), ("und".into(), Script::Zyyy));
    }

    #[test]
    fn hashtags_count_only_alone() {
        assert_eq!(
            id("Под новые санкции попали банки #InstantFollow #AutoFollowBack #IFollowBack").0,
            "ru"
        );
        assert_eq!(id("#отлично").0, "ru");
        assert_eq!(id("Настройка mms mts android").0, "ru");
        assert_eq!(id("P.").0, "und");
    }

    #[test]
    fn mentions_and_urls_are_ignored() {
        assert_eq!(id("@ShopNow_support спасибо!").0, "ru");
        assert_eq!(id("https://shopnow.example/item/123 太差了").0, "zh");
        assert_eq!(
            id("原文请见http://blog.example.com/31436136_d.html").0,
            "zh"
        );
        assert_eq!(id("Написал на support@shopnow.com").0, "ru");
    }

    #[test]
    fn mixed_prefers_cjk() {
        assert_eq!(id("这个APP太卡了").0, "zh");
        assert_eq!(id("我用iPhone").0, "zh");
        assert_eq!(id("CarPlay постоянно отваливается").0, "ru");
    }

    #[test]
    fn other_scripts() {
        assert_eq!(id("これはとても良いです").0, "ja");
        assert_eq!(id("서비스가 좋아요").0, "ko");
    }

    #[test]
    fn allowlist_with_shared_script_uses_whatlang() {
        let li = ScriptLanguageIdentifier::builder()
            .languages(["en", "de", "ru", "uk"])
            .build()
            .unwrap();
        let d = li.identify("Der Kundendienst hat mir überhaupt nicht geholfen");
        assert_eq!(d.language.code(), "de");
        let d = li.identify("Обслуговування було жахливе, ніхто не допоміг");
        assert_eq!(d.language.code(), "uk");
    }

    #[test]
    fn unknown_language_is_a_config_error() {
        let e = ScriptLanguageIdentifier::builder()
            .languages(["zz"])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("unknown language `zz`"), "{e}");
    }

    #[test]
    fn all_languages_map_to_whatlang() {
        for l in LANGS {
            assert!(l.whatlang.is_some(), "{}", l.iso1);
        }
        assert!(Language::from_code("ZH").is_some());
    }

    #[test]
    fn vote_picks_heaviest() {
        let li = ScriptLanguageIdentifier::builder().build().unwrap();
        let mut v = LanguageVote::default();
        v.add(&li.identify("服务很好"));
        v.add(&li.identify("but the price is too high"));
        let (l, _) = v.decide(0.1);
        // 4 Han × 3 = 12 < 20 Latin letters.
        assert_eq!(l.code(), "en");
        let shares = v.shares();
        assert_eq!(shares.len(), 2);
        assert!((shares[0].share + shares[1].share - 1.0).abs() < 0.01);
    }
}
