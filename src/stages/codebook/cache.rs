//! The embeddings of a codebook's exemplars, labels and descriptions,
//! cached on disk so that a codebook is embedded once per encoder, not at
//! every start of `analyze`, `reclassify`, `cluster`, `review` or a Python
//! engine.
//!
//! int8 embeddings depend slightly on the batch a text is encoded in
//! (BENCHMARKS.md), so the cache never mixes: its key is the encoder's
//! fingerprint (name, batch size, model file size and time) and the whole
//! ordered list of texts, and its value the whole matrix as one encoder call
//! gave it. A codebook with one text changed is embedded again as a whole;
//! a cached codebook codes byte for byte as a freshly embedded one.
//!
//! Where: `VOCMINE_CACHE_DIR`, else `$XDG_CACHE_HOME/vocmine`, else
//! `$HOME/.cache/vocmine` (subfolder `prototypes/`); `VOCMINE_CACHE_DIR=off`
//! turns it off. A cache that cannot be read is ignored and one that cannot
//! be written is skipped: the cache never makes a run fail.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Result;

const MAGIC: &[u8; 8] = b"VMPROTO1";

/// The cache folder from the environment (`None`: off or no home).
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("VOCMINE_CACHE_DIR") {
        Some(v) if v == "off" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|p| p.join("vocmine")),
    }
}

fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h = seed;
    for p in parts {
        for b in p.iter().chain(&[0x1f]) {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The file of a (fingerprint, texts) key: 128 bits of two FNV-1a hashes.
fn file_of(dir: &Path, fingerprint: &str, texts: &[&str]) -> PathBuf {
    let mut parts: Vec<&[u8]> = vec![fingerprint.as_bytes()];
    parts.extend(texts.iter().map(|t| t.as_bytes()));
    let a = fnv(0xcbf2_9ce4_8422_2325, &parts);
    let b = fnv(0x6c62_272e_07bb_0142, &parts);
    dir.join("prototypes").join(format!("{a:016x}{b:016x}.bin"))
}

fn read(path: &Path, n: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 24 || &bytes[..8] != MAGIC {
        return None;
    }
    let rows = u64::from_le_bytes(bytes[8..16].try_into().ok()?) as usize;
    let dim = u64::from_le_bytes(bytes[16..24].try_into().ok()?) as usize;
    if rows != n || bytes.len() != 24 + rows.checked_mul(dim)?.checked_mul(4)? {
        return None;
    }
    let floats: Vec<f32> = bytes[24..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if dim == 0 {
        return Some(vec![Vec::new(); rows]);
    }
    Some(floats.chunks_exact(dim).map(<[f32]>::to_vec).collect())
}

fn write(path: &Path, vecs: &[Vec<f32>]) -> std::io::Result<()> {
    let dim = vecs.first().map(Vec::len).unwrap_or(0);
    if vecs.iter().any(|v| v.len() != dim) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        f.write_all(MAGIC)?;
        f.write_all(&(vecs.len() as u64).to_le_bytes())?;
        f.write_all(&(dim as u64).to_le_bytes())?;
        for v in vecs {
            for x in v {
                f.write_all(&x.to_le_bytes())?;
            }
        }
        f.flush()?;
    }
    // the cache file appears whole or not at all
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The embeddings of `texts`: from the cache in `dir` when it holds this
/// exact list for this `fingerprint`, else from `embed` (then stored).
pub fn cached_embeddings(
    dir: Option<&Path>,
    fingerprint: &str,
    texts: &[&str],
    embed: impl FnOnce(&[&str]) -> Result<Vec<Vec<f32>>>,
) -> Result<Vec<Vec<f32>>> {
    let Some(dir) = dir else {
        return embed(texts);
    };
    let path = file_of(dir, fingerprint, texts);
    if let Some(v) = read(&path, texts.len()) {
        return Ok(v);
    }
    let vecs = embed(texts)?;
    // a cache that cannot be written is no error
    let _ = write(&path, &vecs);
    Ok(vecs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_list_is_embedded_once_and_comes_back_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Cell::new(0);
        let embed = |texts: &[&str]| -> Result<Vec<Vec<f32>>> {
            calls.set(calls.get() + 1);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32 / 3.0, -0.1, f32::MIN_POSITIVE])
                .collect())
        };
        let texts = ["慢", "slow delivery", "медленно"];
        let first = cached_embeddings(Some(dir.path()), "enc", &texts, embed).unwrap();
        let again = cached_embeddings(Some(dir.path()), "enc", &texts, embed).unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(first, again);
        // another encoder, another list, or the same texts in another order:
        // embedded again
        cached_embeddings(Some(dir.path()), "enc2", &texts, embed).unwrap();
        cached_embeddings(Some(dir.path()), "enc", &texts[..2], embed).unwrap();
        let swapped = ["slow delivery", "慢", "медленно"];
        let s = cached_embeddings(Some(dir.path()), "enc", &swapped, embed).unwrap();
        assert_eq!(calls.get(), 4);
        assert_eq!(s[0], first[1]);
        // a damaged file is ignored and rewritten; no dir: no cache
        let path = file_of(dir.path(), "enc", &texts);
        std::fs::write(&path, b"VMPROTO1 broken").unwrap();
        assert_eq!(
            cached_embeddings(Some(dir.path()), "enc", &texts, embed).unwrap(),
            first
        );
        assert_eq!(calls.get(), 5);
        cached_embeddings(None, "enc", &texts, embed).unwrap();
        cached_embeddings(None, "enc", &texts, embed).unwrap();
        assert_eq!(calls.get(), 7);
    }

    #[test]
    fn an_unwritable_cache_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let v = cached_embeddings(Some(&file), "enc", &["a"], |t| Ok(vec![vec![1.0]; t.len()]));
        assert_eq!(v.unwrap(), vec![vec![1.0]]);
    }
}
