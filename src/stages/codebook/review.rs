//! The review loop: which clauses should a codebook researcher label next,
//! and their labels read back as gold (`vocmine codebook review`).
//!
//! A [`ReviewPicker`] sees every customer clause of a corpus with its
//! [`Codebook::candidates`] and keeps the clauses whose label would teach
//! the codebook the most, in four groups of equal quota (a group with too
//! few clauses leaves its share to the others):
//!
//! * **disagreeing evidence**: a rule gives a code that the code's learned
//!   classifier rejects (p < 0.3), or a rule gives one code while the
//!   embedding evidence (exemplars, learned classifier) backs another code
//!   without a rule and not the ruled one;
//! * **uncoded pains and itches**: the encoder's voice type is pain or itch
//!   and no code is kept, the raw material of new codes;
//! * **uncertain**: the code closest to its threshold is within `band` of
//!   it, on either side;
//! * **random sample**: clauses of none of the above, drawn uniformly (by a
//!   hash of record id and clause): labels of clauses the codebook is sure
//!   about show where it is wrong without knowing it, and give `learn`
//!   texts like those it will code. Without them, labels of hard cases
//!   alone taught `learn` less than as many random texts on two of three
//!   sets (EVALUATION.md).
//!
//! Within a group, the higher priority first (the voice probability, the
//! strength of the disagreement, the closeness to the threshold), ties by
//! record id and clause; a clause whose text (case and spaces folded)
//! repeats a picked one, or whose embedding is within `dedup_similarity`
//! cosine of a picked one of its group, is skipped, so the sheet is not
//! twenty copies of one complaint. The pick does not depend on the order of
//! equal-priority clauses or on the thread count.
//!
//! The sheet ([`write_review`]: CSV, TSV or XLSX) has one row per clause
//! with two columns for the researcher: `codes` (code ids separated by `;`,
//! each optionally `code:point`; `none` for a clause that has no code) and
//! `point` (the point of every code of the row that does not give its own).
//! [`review_gold`] reads a filled sheet back as gold texts for `eval` and
//! `learn` ([`read_gold`](super::read_gold) does so for `.csv`, `.tsv` and
//! `.xlsx` files); rows left empty are not gold.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::{Candidate, ClauseTerms, Codebook, GoldCode, GoldItem, PointKind};
use crate::error::{Error, Result};
use crate::neural::sentiment::{Voice, VoiceType};

/// Options of a [`ReviewPicker`].
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// Clauses to pick.
    pub size: usize,
    /// A code within this much of its threshold (score units) makes its
    /// clause uncertain.
    pub band: f32,
    /// Clauses of one group at least this cosine-similar to a picked one
    /// are skipped (1 or more: only exact text repeats are skipped).
    pub dedup_similarity: f32,
}

impl Default for ReviewOptions {
    fn default() -> Self {
        ReviewOptions {
            size: 200,
            band: 0.15,
            dedup_similarity: 0.95,
        }
    }
}

impl ReviewOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        if self.size == 0 {
            return Err(Error::Config("review: size must be at least 1".into()));
        }
        if !(self.band > 0.0 && self.band <= 1.0) {
            return Err(Error::Config(format!(
                "review: band must be in (0, 1], not {}",
                self.band
            )));
        }
        if self.dedup_similarity.is_nan() || self.dedup_similarity <= 0.0 {
            return Err(Error::Config(format!(
                "review: dedup_similarity must be positive, not {}",
                self.dedup_similarity
            )));
        }
        Ok(())
    }
}

/// Why a clause is worth labelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReviewReason {
    /// Rules and embedding evidence disagree.
    Disagree,
    /// A pain no code caught.
    UncodedPain,
    /// An itch (wish, suggestion) no code caught.
    UncodedItch,
    /// A code is near its threshold.
    Uncertain,
    /// None of the above: a random clause of the rest, so that the labels
    /// also show what the codebook gets right (and `learn` calibrates on
    /// texts like those it will code).
    Sample,
}

impl ReviewReason {
    /// The name written in the sheet.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewReason::Disagree => "disagreeing evidence",
            ReviewReason::UncodedPain => "uncoded pain",
            ReviewReason::UncodedItch => "uncoded itch",
            ReviewReason::Uncertain => "uncertain",
            ReviewReason::Sample => "random sample",
        }
    }

    fn group(self) -> usize {
        match self {
            ReviewReason::Disagree => 0,
            ReviewReason::UncodedPain | ReviewReason::UncodedItch => 1,
            ReviewReason::Uncertain => 2,
            ReviewReason::Sample => 3,
        }
    }
}

/// One customer clause offered to a [`ReviewPicker`].
#[derive(Debug, Clone, Copy)]
pub struct ReviewClause<'a> {
    /// Record id.
    pub id: &'a str,
    /// Clause index in the record.
    pub clause: u32,
    /// Turn of the clause (`None` for text records).
    pub turn: Option<u32>,
    /// Char offset of the clause.
    pub start: u32,
    /// Char offset one past the clause.
    pub end: u32,
    /// Language code.
    pub language: &'a str,
    /// The clause text.
    pub text: &'a str,
    /// What surrounds it (its turn or record), shown to the researcher.
    pub context: &'a str,
    /// Its terms, as the codebook matches them.
    pub terms: &'a ClauseTerms,
    /// Its embedding (unit length), if any.
    pub embedding: Option<&'a [f32]>,
    /// Its voice type, if any.
    pub voice: Option<&'a Voice>,
}

/// One row of a review sheet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewRow {
    /// Record id.
    pub id: String,
    /// Clause index.
    pub clause: u32,
    /// Turn.
    pub turn: Option<u32>,
    /// Char offset of the clause.
    pub start: u32,
    /// Char offset one past it.
    pub end: u32,
    /// Language.
    pub language: String,
    /// The clause.
    pub text: String,
    /// Its turn or record.
    pub context: String,
    /// Why it was picked.
    pub reason: String,
    /// Priority within its reason, 0..1.
    pub priority: f32,
    /// The encoder's voice type.
    pub voice: String,
    /// The codebook's candidates, `code score` separated by `; `, kept
    /// codes marked `*`.
    pub suggested: String,
    /// The researcher's codes (empty: not labelled yet).
    pub codes: String,
    /// The researcher's point for the row's codes.
    pub point: String,
}

struct Pending {
    reason: ReviewReason,
    priority: f32,
    row: ReviewRow,
    embedding: Option<Vec<f32>>,
}

/// Picks the clauses to label (see the module docs).
pub struct ReviewPicker<'a> {
    codebook: &'a Codebook,
    opts: ReviewOptions,
    groups: [Vec<Pending>; GROUPS],
    seen: u64,
}

impl<'a> ReviewPicker<'a> {
    /// A picker for `codebook`.
    pub fn new(codebook: &'a Codebook, opts: ReviewOptions) -> Result<ReviewPicker<'a>> {
        opts.validate()?;
        Ok(ReviewPicker {
            codebook,
            opts,
            groups: [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
            seen: 0,
        })
    }

    /// Clauses offered so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Offers one clause.
    pub fn add(&mut self, c: ReviewClause<'_>) {
        self.seen += 1;
        let cands = self.codebook.candidates(c.terms, c.embedding);
        let (reason, priority) = judge(&cands, c.voice, self.opts.band)
            .unwrap_or_else(|| (ReviewReason::Sample, uniform(c.id, c.clause)));
        let suggested = cands
            .iter()
            .take(5)
            .map(|x| {
                format!(
                    "{}{} {:.2}",
                    x.code,
                    if x.score >= x.threshold { "*" } else { "" },
                    x.score
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let pool = &mut self.groups[reason.group()];
        pool.push(Pending {
            reason,
            priority,
            row: ReviewRow {
                id: c.id.to_owned(),
                clause: c.clause,
                turn: c.turn,
                start: c.start,
                end: c.end,
                language: c.language.to_owned(),
                text: c.text.to_owned(),
                context: c.context.to_owned(),
                reason: reason.as_str().to_owned(),
                priority: (priority * 1000.0).round() / 1000.0,
                voice: c
                    .voice
                    .map(|v| v.label.as_str().to_owned())
                    .unwrap_or_default(),
                suggested,
                codes: String::new(),
                point: String::new(),
            },
            embedding: c.embedding.map(<[f32]>::to_vec),
        });
        // keep the pool bounded: far more than can be picked, the best ones
        let cap = self.opts.size.saturating_mul(20).max(1000);
        if pool.len() > 2 * cap {
            sort_pool(pool);
            pool.truncate(cap);
        }
    }

    /// The picked rows: disagreeing evidence, then uncoded pains and itches,
    /// then uncertain clauses, each group by priority, then the random
    /// sample.
    pub fn finish(mut self) -> Vec<ReviewRow> {
        for g in self.groups.iter_mut() {
            sort_pool(g);
        }
        let size = self.opts.size;
        // quotas: equal shares, what a group cannot fill goes to the others
        let picks: Vec<Vec<usize>> = self
            .groups
            .iter()
            .map(|g| distinct(g, size, self.opts.dedup_similarity))
            .collect();
        let mut quota = [0usize; GROUPS];
        let mut left = size;
        loop {
            let open: Vec<usize> = (0..GROUPS).filter(|&g| quota[g] < picks[g].len()).collect();
            if open.is_empty() || left == 0 {
                break;
            }
            let share = (left / open.len()).max(1);
            for g in open {
                let add = share.min(picks[g].len() - quota[g]).min(left);
                quota[g] += add;
                left -= add;
            }
        }
        let mut out = Vec::new();
        for (g, pool) in self.groups.iter_mut().enumerate() {
            for &i in picks[g].iter().take(quota[g]) {
                out.push(std::mem::take(&mut pool[i].row));
            }
        }
        out
    }
}

const GROUPS: usize = 4;

/// A uniform number in [0, 1) from a clause's id and index (FNV-1a, then
/// SplitMix64 finalization): the random sample's order, the same on every
/// run and in any input order.
fn uniform(id: &str, clause: u32) -> f32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes().chain(clause.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 40) as f32 / (1u64 << 24) as f32
}

fn sort_pool(pool: &mut [Pending]) {
    pool.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(a.reason.cmp(&b.reason))
            .then_with(|| a.row.id.cmp(&b.row.id))
            .then(a.row.clause.cmp(&b.row.clause))
    });
}

/// Indices of a sorted pool without repeats, at most `n`.
fn distinct(pool: &[Pending], n: usize, max_sim: f32) -> Vec<usize> {
    let mut texts: HashSet<String> = HashSet::new();
    let mut picked: Vec<usize> = Vec::new();
    for (i, p) in pool.iter().enumerate() {
        if picked.len() >= n {
            break;
        }
        if !texts.insert(fold(&p.row.text)) {
            continue;
        }
        let near = p.embedding.as_ref().is_some_and(|e| {
            picked.iter().any(|&j| {
                pool[j].embedding.as_ref().is_some_and(|f| {
                    f.len() == e.len()
                        && e.iter().zip(f).map(|(a, b)| a * b).sum::<f32>() >= max_sim
                })
            })
        });
        if !near {
            picked.push(i);
        }
    }
    picked
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The reason a clause is worth labelling, with its priority.
fn judge(cands: &[Candidate], voice: Option<&Voice>, band: f32) -> Option<(ReviewReason, f32)> {
    let kept = cands.iter().any(|c| c.score >= c.threshold);
    // a rule against its own classifier
    let mut disagree: f32 = cands
        .iter()
        .filter(|c| c.rule)
        .filter_map(|c| c.learned.filter(|&p| p < 0.3).map(|p| 1.0 - p))
        .fold(0.0, f32::max);
    // a rule for one code, the embedding for another
    let embedding = |c: &Candidate| c.learned.unwrap_or(c.exemplar);
    let ruled_weak = cands.iter().any(|c| c.rule && embedding(c) < 0.2);
    if ruled_weak {
        if let Some(other) = cands
            .iter()
            .filter(|c| !c.rule && embedding(c) >= 0.5)
            .map(embedding)
            .reduce(f32::max)
        {
            disagree = disagree.max(other);
        }
    }
    if disagree > 0.0 {
        return Some((ReviewReason::Disagree, disagree));
    }
    if !kept {
        match voice.map(|v| (v.label, v.confidence)) {
            Some((VoiceType::Pain, p)) => return Some((ReviewReason::UncodedPain, p)),
            Some((VoiceType::Itch, p)) => return Some((ReviewReason::UncodedItch, p)),
            _ => {}
        }
    }
    let closest = cands
        .iter()
        .map(|c| (c.score - c.threshold).abs())
        .reduce(f32::min)?;
    (closest < band).then(|| (ReviewReason::Uncertain, 1.0 - closest / band))
}

/// The columns of a review sheet, in order.
pub const REVIEW_COLUMNS: [&str; 14] = [
    "id",
    "clause",
    "text",
    "codes",
    "point",
    "suggested",
    "reason",
    "priority",
    "voice",
    "language",
    "turn",
    "start",
    "end",
    "context",
];

fn row_cells(r: &ReviewRow) -> [String; 14] {
    [
        r.id.clone(),
        r.clause.to_string(),
        r.text.clone(),
        r.codes.clone(),
        r.point.clone(),
        r.suggested.clone(),
        r.reason.clone(),
        format!("{:.3}", r.priority),
        r.voice.clone(),
        r.language.clone(),
        r.turn.map(|t| t.to_string()).unwrap_or_default(),
        r.start.to_string(),
        r.end.to_string(),
        r.context.clone(),
    ]
}

enum Kind {
    Csv(u8),
    Xlsx,
}

fn kind(path: &Path) -> Result<Kind> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => Ok(Kind::Csv(b',')),
        "tsv" | "tab" => Ok(Kind::Csv(b'\t')),
        "xlsx" => Ok(Kind::Xlsx),
        _ => Err(Error::Config(format!(
            "{}: a review sheet is .csv, .tsv or .xlsx",
            path.display()
        ))),
    }
}

/// Writes a review sheet (by extension: `.csv`, `.tsv`, `.xlsx`). An XLSX
/// workbook has the rows on its first sheet (`to label`) and, with a
/// codebook, its codes on a second (`codes`: id, parent, labels, owner,
/// description) for the researcher to pick from.
pub fn write_review(path: &Path, rows: &[ReviewRow], codebook: Option<&Codebook>) -> Result<()> {
    match kind(path)? {
        Kind::Csv(delim) => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delim)
                .from_path(path)
                .map_err(|e| csv_error(path, e))?;
            w.write_record(REVIEW_COLUMNS)
                .map_err(|e| csv_error(path, e))?;
            for r in rows {
                w.write_record(row_cells(r))
                    .map_err(|e| csv_error(path, e))?;
            }
            w.flush().map_err(|e| Error::io(path, e))
        }
        Kind::Xlsx => write_xlsx(path, rows, codebook),
    }
}

fn write_xlsx(path: &Path, rows: &[ReviewRow], codebook: Option<&Codebook>) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let bad = |e: rust_xlsxwriter::XlsxError| Error::Resource {
        path: path.to_owned(),
        line: 0,
        message: format!("cannot write the workbook: {e}"),
    };
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let fill = Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xFFF2CC));
    let sheet = wb.add_worksheet();
    sheet.set_name("to label").map_err(bad)?;
    for (c, h) in REVIEW_COLUMNS.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(bad)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in row_cells(r).iter().enumerate() {
            let col = c as u16;
            match REVIEW_COLUMNS[c] {
                // numbers as numbers
                "clause" | "start" | "end" | "turn" | "priority" if !v.is_empty() => {
                    let x: f64 = v.parse().unwrap_or(0.0);
                    sheet.write_number(row, col, x).map_err(bad)?;
                }
                "text" | "context" => {
                    sheet
                        .write_string_with_format(row, col, v, &wrap)
                        .map_err(bad)?;
                }
                "codes" | "point" => {
                    sheet
                        .write_string_with_format(row, col, v, &fill)
                        .map_err(bad)?;
                }
                _ => {
                    sheet.write_string(row, col, v).map_err(bad)?;
                }
            }
        }
    }
    for (c, h) in REVIEW_COLUMNS.iter().enumerate() {
        let width = match *h {
            "text" => 60.0,
            "context" => 80.0,
            "suggested" => 40.0,
            "codes" => 28.0,
            "reason" => 20.0,
            "id" => 16.0,
            _ => 9.0,
        };
        sheet.set_column_width(c as u16, width).map_err(bad)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(bad)?;
    if let Some(cb) = codebook {
        let codes = wb.add_worksheet();
        codes.set_name("codes").map_err(bad)?;
        for (c, h) in ["id", "parent", "labels", "owner", "description"]
            .iter()
            .enumerate()
        {
            codes
                .write_with_format(0, c as u16, *h, &bold)
                .map_err(bad)?;
        }
        for (i, code) in cb.spec().codes.iter().enumerate() {
            let row = i as u32 + 1;
            let labels = code
                .labels
                .iter()
                .map(|(l, t)| format!("{l}: {t}"))
                .collect::<Vec<_>>()
                .join("; ");
            let cells = [
                code.id.as_str(),
                code.parent.as_deref().unwrap_or(""),
                labels.as_str(),
                cb.owner(&code.id).unwrap_or(""),
                code.description.as_deref().unwrap_or(""),
            ];
            for (c, v) in cells.iter().enumerate() {
                codes.write_string(row, c as u16, *v).map_err(bad)?;
            }
        }
        for (c, w) in [30.0, 20.0, 50.0, 16.0, 60.0].iter().enumerate() {
            codes.set_column_width(c as u16, *w).map_err(bad)?;
        }
        codes.set_freeze_panes(1, 0).map_err(bad)?;
    }
    wb.save(path).map_err(bad)
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    Error::Resource {
        path: path.to_owned(),
        line,
        message: format!("review sheet: {e}"),
    }
}

/// Reads a review sheet back, every row (labelled or not), with the sheet
/// line of each row.
pub fn read_review(path: &Path) -> Result<Vec<(u64, ReviewRow)>> {
    let (header, rows) = match kind(path)? {
        Kind::Csv(delim) => super::table::csv_rows(path, delim, "review sheet")?,
        Kind::Xlsx => super::table::xlsx_rows(path)?,
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| Error::Resource {
            path: path.to_owned(),
            line: 1,
            message: format!("review sheet: no `{name}` column"),
        })
    };
    let (id_c, text_c, codes_c) = (need("id")?, need("text")?, need("codes")?);
    let opt = |name: &str| col(name);
    let (clause_c, point_c, lang_c, turn_c, start_c, end_c) = (
        opt("clause"),
        opt("point"),
        opt("language"),
        opt("turn"),
        opt("start"),
        opt("end"),
    );
    let (sugg_c, reason_c, prio_c, voice_c, ctx_c) = (
        opt("suggested"),
        opt("reason"),
        opt("priority"),
        opt("voice"),
        opt("context"),
    );
    let mut out = Vec::new();
    for (line, cells) in rows {
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let number = |c: Option<usize>, name: &str| -> Result<Option<u32>> {
            let s = get(c);
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .ok()
                .filter(|x| *x >= 0.0 && x.fract() == 0.0 && *x <= u32::MAX as f64)
                .map(|x| Some(x as u32))
                .ok_or_else(|| Error::Resource {
                    path: path.to_owned(),
                    line,
                    message: format!("review sheet: `{name}` is `{s}`, not a whole number"),
                })
        };
        out.push((
            line,
            ReviewRow {
                id: get(Some(id_c)),
                clause: number(clause_c, "clause")?.unwrap_or(0),
                turn: number(turn_c, "turn")?,
                start: number(start_c, "start")?.unwrap_or(0),
                end: number(end_c, "end")?.unwrap_or(0),
                language: get(lang_c),
                text: cells.get(text_c).cloned().unwrap_or_default(),
                context: get(ctx_c),
                reason: get(reason_c),
                priority: get(prio_c).parse().unwrap_or(0.0),
                voice: get(voice_c),
                suggested: get(sugg_c),
                codes: get(Some(codes_c)),
                point: get(point_c),
            },
        ));
    }
    Ok(out)
}

/// The labelled rows of a review sheet as gold texts: the clause is the
/// text, its id `RECORD#CLAUSE`; `codes` lists code ids separated by `;`
/// (or `,`, `|`, spaces), each optionally `code:point`; `none` (or `-`)
/// marks a clause without a code. Rows with an empty `codes` cell are not
/// labelled and are skipped; a bad point names its line.
pub fn review_gold(path: &Path) -> Result<Vec<GoldItem>> {
    let mut out = Vec::new();
    for (line, r) in read_review(path)? {
        if r.codes.is_empty() {
            continue;
        }
        if r.text.trim().is_empty() {
            return Err(Error::Resource {
                path: path.to_owned(),
                line,
                message: "review sheet: a labelled row without text".into(),
            });
        }
        let parse_point = |s: &str| -> Result<PointKind> {
            PointKind::parse(&s.trim().to_lowercase()).ok_or_else(|| Error::Resource {
                path: path.to_owned(),
                line,
                message: format!("review sheet: point `{s}` is not pain, itch, delight or mention"),
            })
        };
        let row_point = if r.point.is_empty() {
            None
        } else {
            Some(parse_point(&r.point)?)
        };
        let mut codes: BTreeMap<String, Option<PointKind>> = BTreeMap::new();
        let lowered = r.codes.to_lowercase();
        if !matches!(lowered.trim(), "none" | "-" | "no code") {
            for item in r
                .codes
                .split(|c: char| c == ';' || c == ',' || c == '|' || c.is_whitespace())
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let (code, point) = match item.split_once(':') {
                    Some((c, p)) => (c.trim(), Some(parse_point(p)?)),
                    None => (item, row_point),
                };
                codes.insert(code.to_owned(), point);
            }
        }
        out.push(GoldItem {
            id: serde_json::Value::String(format!("{}#{}", r.id, r.clause)),
            text: r.text,
            language: (!r.language.is_empty()).then_some(r.language),
            codes: codes
                .into_iter()
                .map(|(code, point)| GoldCode { code, point })
                .collect(),
        });
    }
    Ok(out)
}

/// True for the file types [`review_gold`] reads.
pub fn is_review_sheet(path: &Path) -> bool {
    kind(path).is_ok()
}
