//! Where things are in a YAML configuration file (a codebook, alert rules):
//! the lines of its `id:` entries and of its top-level keys, read from the
//! YAML parser's events with their positions (`yaml-rust2`), so that a
//! problem found after deserializing (a duplicate id, a bad rule) is
//! reported at its line. A comment or a quoted string that happens to read
//! `id: x` is not an entry and is never taken for one.

use std::path::Path;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};

use crate::error::{Error, Result};

/// The largest configuration file read (a codebook, alert rules, cues,
/// learned classifiers): 32 MiB. The largest real codebooks are a few
/// hundred kB; a bigger file is refused before it is read.
pub const MAX_CONFIG_BYTES: u64 = 32 << 20;

/// The deepest nesting of flow collections (`[`, `{`) a YAML
/// configuration may have. The YAML parser's time grows with the square of
/// the depth (100,000 levels took 90 s), so deeper files are refused before
/// they are parsed.
pub const MAX_YAML_DEPTH: usize = 256;

/// Reads a configuration file (`what`: "codebook", "alert rules", …):
/// an error naming the file when it is larger than [`MAX_CONFIG_BYTES`].
pub fn read_config(path: &Path, what: &str) -> Result<String> {
    check_config_size(path, what)?;
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// An error naming the file when it is larger than [`MAX_CONFIG_BYTES`].
pub fn check_config_size(path: &Path, what: &str) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > MAX_CONFIG_BYTES {
        return Err(Error::Resource {
            path: path.to_owned(),
            line: 0,
            message: format!(
                "the {what} file has {:.1} MB, more than the {} MB a configuration file may have",
                len as f64 / 1e6,
                MAX_CONFIG_BYTES >> 20
            ),
        });
    }
    Ok(())
}

/// Refuses YAML nested deeper than [`MAX_YAML_DEPTH`] flow levels (an
/// error naming the file and the line where the limit is passed), before
/// any parser sees it. Brackets inside quoted scalars and comments do not
/// count.
pub fn check_yaml_depth(text: &str, path: &Path, what: &str) -> Result<()> {
    let mut depth = 0usize;
    let mut line = 1u64;
    let (mut single, mut double, mut comment, mut escaped) = (false, false, false, false);
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
            prev = c;
            continue;
        }
        if comment {
            continue;
        }
        if double {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                double = false;
            }
        } else if single {
            if c == '\'' {
                single = false;
            }
        } else {
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' => double = true,
                '\'' if !prev.is_alphanumeric() => single = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_YAML_DEPTH {
                        return Err(Error::Resource {
                            path: path.to_owned(),
                            line,
                            message: format!(
                                "the {what} is nested more than {MAX_YAML_DEPTH} levels deep"
                            ),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    Ok(())
}
use yaml_rust2::scanner::Marker;

/// The positions of a YAML document's `id:` entries (at any depth, in
/// document order) and top-level keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlLines {
    /// `(id value, 1-based line of its key)`, in document order.
    ids: Vec<(String, u64)>,
    /// `(key, 1-based line)` of the first document's top-level mapping.
    top: Vec<(String, u64)>,
}

impl YamlLines {
    /// Reads the positions of `src`. A source that does not parse gives the
    /// positions read before the error (files are parsed, with their own
    /// error, before anyone asks for lines).
    pub fn of(src: &str) -> YamlLines {
        let mut r = Receiver::default();
        let mut parser = Parser::new_from_str(src);
        // A scan error only ends the reading early.
        let _ = parser.load(&mut r, false);
        r.lines
    }

    /// The 1-based line of the `n`-th (0-based) entry `id: <id>` (0 when
    /// there is none).
    pub fn nth_id(&self, id: &str, n: usize) -> u64 {
        self.ids
            .iter()
            .filter(|(v, _)| v == id)
            .nth(n)
            .map_or(0, |(_, line)| *line)
    }

    /// The 1-based line of the top-level key `key` (0 when absent).
    pub fn key(&self, key: &str) -> u64 {
        self.top
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, line)| *line)
    }
}

/// A container being read.
enum Frame {
    /// A mapping: whether the next node is a key, and the key just read.
    Map {
        expect_key: bool,
        key: Option<(String, u64)>,
    },
    /// A sequence.
    Seq,
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    lines: YamlLines,
    /// The first document is over (later ones are not read).
    done: bool,
}

impl Receiver {
    /// A node (scalar or container) starts at `line`; `scalar` is its text
    /// when it is a scalar.
    fn node(&mut self, scalar: Option<&str>, line: u64) {
        let depth = self.stack.len();
        let Some(Frame::Map { expect_key, key }) = self.stack.last_mut() else {
            return;
        };
        if *expect_key {
            *expect_key = false;
            *key = scalar.map(|s| (s.to_owned(), line));
            if depth == 1 {
                if let Some(k) = scalar {
                    self.lines.top.push((k.to_owned(), line));
                }
            }
        } else {
            if let (Some(v), Some((k, key_line))) = (scalar, key.as_ref()) {
                if k == "id" {
                    self.lines.ids.push((v.to_owned(), *key_line));
                }
            }
            *expect_key = true;
            *key = None;
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        let line = mark.line() as u64;
        match ev {
            Event::Scalar(value, ..) => self.node(Some(&value), line),
            Event::Alias(_) => self.node(None, line),
            Event::MappingStart(..) => {
                self.node(None, line);
                self.stack.push(Frame::Map {
                    expect_key: true,
                    key: None,
                });
            }
            Event::SequenceStart(..) => {
                self.node(None, line);
                self.stack.push(Frame::Seq);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_at_their_lines_not_in_comments_or_strings() {
        let src = "\
codebook: x   # id: a
codes:
  - id: a
    label: \"id: b\"
    description: |
      id: a
  - {id: b, label: B}
  - id: 'a'
settings: {}
";
        let l = YamlLines::of(src);
        assert_eq!(l.nth_id("a", 0), 3);
        assert_eq!(l.nth_id("b", 0), 7);
        assert_eq!(l.nth_id("a", 1), 8);
        assert_eq!(l.nth_id("a", 2), 0, "the block scalar's text is no entry");
        assert_eq!(l.key("codes"), 2);
        assert_eq!(l.key("settings"), 9);
        assert_eq!(l.key("label"), 0, "not a top-level key");
        // nested ids count too; a broken file gives what was read
        let l = YamlLines::of("rules:\n  - id: r1\n    when: {x: [1, 2]}\n  - id: r2\n  - [");
        assert_eq!((l.nth_id("r1", 0), l.nth_id("r2", 0)), (2, 4));
    }
}
