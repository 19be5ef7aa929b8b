//! Reading the `.npy` embeddings that `vocmine embed` writes (and NumPy's
//! own `float32`/`float64` 2-D C-order files).

use std::path::Path;

use crate::error::{Error, Result};

use super::vectors::Vectors;

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Resource {
        path: path.to_path_buf(),
        line: 0,
        message: message.into(),
    }
}

/// Reads a 2-D little-endian `float32` or `float64` `.npy` file into
/// [`Vectors`] (rows normalized).
pub fn read_npy(path: &Path) -> Result<Vectors> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (data, dim) = parse_npy(&bytes).map_err(|m| bad(path, m))?;
    Vectors::new(data, dim).map_err(|e| bad(path, e.to_string()))
}

/// Reads the vectors a model saved ([`Vectors::from_normalized`]).
pub(crate) fn read_saved_npy(path: &Path) -> Result<Vectors> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (data, dim) = parse_npy(&bytes).map_err(|m| bad(path, m))?;
    Vectors::from_normalized(data, dim).map_err(|e| bad(path, e.to_string()))
}

fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pos = header.find(&format!("'{key}'"))?;
    let rest = &header[pos + key.len() + 2..];
    let colon = rest.find(':')?;
    Some(rest[colon + 1..].trim_start())
}

pub(crate) fn parse_npy(bytes: &[u8]) -> std::result::Result<(Vec<f32>, usize), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy file".into());
    }
    let major = bytes[6];
    let (hlen, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(format!("unsupported .npy version {major}")),
    };
    let end = start
        .checked_add(hlen)
        .filter(|e| *e <= bytes.len())
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| "header is not text")?;
    let descr = field(header, "descr").ok_or("header has no descr")?;
    let width = if descr.starts_with("'<f4'") {
        4
    } else if descr.starts_with("'<f8'") {
        8
    } else {
        return Err(format!(
            "only little-endian float32/float64 arrays are read, found {}",
            descr.split(',').next().unwrap_or("")
        ));
    };
    if field(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err("Fortran-order arrays are not read".into());
    }
    let shape = field(header, "shape").ok_or("header has no shape")?;
    let open = shape.find('(').ok_or("bad shape")?;
    let close = shape.find(')').ok_or("bad shape")?;
    let dims: Vec<usize> = shape[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {s}")))
        .collect::<std::result::Result<_, _>>()?;
    let (rows, dim) = match dims.as_slice() {
        [r, d] => (*r, *d),
        [r] => (*r, 1),
        _ => return Err(format!("expected a 2-D array, found shape {dims:?}")),
    };
    let body = &bytes[end..];
    let need = rows
        .checked_mul(dim)
        .and_then(|x| x.checked_mul(width))
        .ok_or("shape too large")?;
    if body.len() < need {
        return Err(format!(
            "truncated data: {} bytes for shape ({rows}, {dim})",
            body.len()
        ));
    }
    let data: Vec<f32> = if width == 4 {
        body[..need]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    } else {
        body[..need]
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect()
    };
    Ok((data, dim.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        let mut w = crate::io::npy::NpyWriter::create(&p, 2).unwrap();
        w.push(&[3.0, 4.0]).unwrap();
        w.push(&[0.0, 2.0]).unwrap();
        w.finish().unwrap();
        let v = read_npy(&p).unwrap();
        assert_eq!((v.len(), v.dim()), (2, 2));
        assert!((v.row(0)[1] - 0.8).abs() < 1e-6);
        assert!(parse_npy(b"garbage").is_err());
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() - 3);
        assert!(parse_npy(&bytes).is_err());
    }
}
