//! Codebooks kept as flat tables (CSV, TSV, XLSX): one row per code.
//!
//! Columns (header names, case-insensitive; only `id` is required): `id`,
//! `parent`, `label_zh`, `label_ru`, `label_en`, `owner`, `description`,
//! `keywords_zh`, `keywords_ru`, `keywords_en`, `keywords_any` (terms
//! separated by `;` or `|`, one `any` rule per column), `exclude_zh`,
//! `exclude_ru`, `exclude_en`, `exclude_any` (`not` terms of the same rule),
//! `exemplars` (separated by `|`), `point`, `threshold`.

use std::collections::BTreeMap;
use std::path::Path;

use super::spec::{CodeSpec, CodebookSpec, PointKind, RuleSpec, RulesSpec};
use crate::error::{Error, Result};

/// Reads a CSV (or TSV) codebook table.
pub fn read_csv(path: &Path, tabs: bool) -> Result<CodebookSpec> {
    let (header, rows) = csv_rows(
        path,
        if tabs { b'\t' } else { b',' },
        "invalid codebook table",
    )?;
    from_rows(path, &header, rows)
}

/// Reads the first sheet of an XLSX (or XLS / ODS) codebook table.
pub fn read_xlsx(path: &Path) -> Result<CodebookSpec> {
    let (header, rows) = xlsx_rows(path)?;
    from_rows(path, &header, rows)
}

/// A sheet: its header (trimmed, lower-cased) and its rows, each with its
/// line number in the file (1 is the header).
pub(crate) type Sheet = (Vec<String>, Vec<(u64, Vec<String>)>);

/// The header and rows of a CSV or TSV file (`delimiter`); errors name the
/// file and line, prefixed with `what`.
pub(crate) fn csv_rows(path: &Path, delimiter: u8, what: &str) -> Result<Sheet> {
    let err = |e: csv::Error| Error::Resource {
        path: path.to_owned(),
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: format!("{what}: {e}"),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_path(path)
        .map_err(err)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(err)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(err)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
        rows.push((line, rec.iter().map(str::to_owned).collect::<Vec<_>>()));
    }
    Ok((header, rows))
}

/// The header and rows of the first sheet of an XLSX (or XLS / ODS) file.
pub(crate) fn xlsx_rows(path: &Path) -> Result<Sheet> {
    use calamine::{open_workbook_auto, Reader};
    let bad = |message: String| Error::Resource {
        path: path.to_owned(),
        line: 0,
        message,
    };
    let mut wb = open_workbook_auto(path).map_err(|e| bad(format!("cannot read workbook: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| bad("the workbook has no sheet".into()))?
        .map_err(|e| bad(format!("cannot read the first sheet: {e}")))?;
    let mut it = range.rows();
    let header: Vec<String> = it
        .next()
        .ok_or_else(|| bad("the first sheet is empty".into()))?
        .iter()
        .map(|c| c.to_string().trim().to_lowercase())
        .collect();
    let rows = it
        .enumerate()
        .map(|(i, r)| (i as u64 + 2, r.iter().map(|c| c.to_string()).collect()))
        .collect();
    Ok((header, rows))
}

fn split_terms(s: &str) -> Vec<String> {
    s.split([';', '|', '；'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn from_rows(
    path: &Path,
    header: &[String],
    rows: Vec<(u64, Vec<String>)>,
) -> Result<CodebookSpec> {
    let col = |name: &str| header.iter().position(|h| h == name);
    let id_col = col("id").ok_or_else(|| Error::Resource {
        path: path.to_owned(),
        line: 1,
        message: "the table has no `id` column".into(),
    })?;
    let mut spec = CodebookSpec {
        codebook: path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("codebook")
            .to_owned(),
        ..CodebookSpec::default()
    };
    let mut source = String::new();
    let mut langs: Vec<String> = Vec::new();
    for h in header {
        if let Some(l) = h.strip_prefix("keywords_") {
            if l != "any" && !langs.iter().any(|x| x == l) {
                langs.push(l.to_owned());
            }
        }
    }
    spec.languages = langs;
    let mut last_line = 1;
    for (line, row) in rows {
        let get = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let Some(id) = get(Some(id_col)) else {
            continue;
        };
        // Keep the line numbers of codes for error messages.
        while last_line + 1 < line {
            source.push('\n');
            last_line += 1;
        }
        source.push_str(&format!("\nid: {id}"));
        last_line = line;
        let mut code = CodeSpec {
            id,
            parent: get(col("parent")),
            owner: get(col("owner")),
            description: get(col("description")),
            ..CodeSpec::default()
        };
        let mut labels = BTreeMap::new();
        let mut rules = BTreeMap::new();
        for (i, h) in header.iter().enumerate() {
            if let Some(l) = h.strip_prefix("label_") {
                if let Some(v) = get(Some(i)) {
                    labels.insert(l.to_owned(), v);
                }
            }
            if let Some(l) = h.strip_prefix("keywords_") {
                let any = get(Some(i)).map(|v| split_terms(&v)).unwrap_or_default();
                if any.is_empty() {
                    continue;
                }
                let not = get(col(&format!("exclude_{l}")))
                    .map(|v| split_terms(&v))
                    .unwrap_or_default();
                rules.insert(
                    l.to_owned(),
                    RulesSpec::One(RuleSpec {
                        any,
                        not,
                        ..RuleSpec::default()
                    }),
                );
            }
        }
        code.labels = labels;
        code.rules = rules;
        code.exemplars = get(col("exemplars"))
            .map(|v| {
                v.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(p) = get(col("point")) {
            code.point = Some(PointKind::parse(&p).ok_or_else(|| Error::Resource {
                path: path.to_owned(),
                line,
                message: format!(
                    "code `{}`: point must be pain, itch, delight or mention, got `{p}`",
                    code.id
                ),
            })?);
        }
        if let Some(t) = get(col("threshold")) {
            code.threshold = Some(t.parse().map_err(|_| Error::Resource {
                path: path.to_owned(),
                line,
                message: format!("code `{}`: threshold `{t}` is not a number", code.id),
            })?);
        }
        spec.codes.push(code);
    }
    spec.source = Some(source);
    Ok(spec)
}
