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

/// The values of a 2-D (or 1-D: one column) `float32` or `float64` array in
/// C order, and its row width. Read with `npyz` (any version of the format,
/// either byte order); other element types and Fortran order are refused.
pub(crate) fn parse_npy(bytes: &[u8]) -> std::result::Result<(Vec<f32>, usize), String> {
    let npy = npyz::NpyFile::new(bytes).map_err(|e| format!("not a readable .npy file: {e}"))?;
    if npy.order() == npyz::Order::Fortran {
        return Err("Fortran-order arrays are not read".into());
    }
    let shape = npy.shape().to_vec();
    let (rows, dim) = match shape.as_slice() {
        [r, d] => (*r, *d),
        [r] => (*r, 1),
        _ => return Err(format!("expected a 2-D array, found shape {shape:?}")),
    };
    let descr = npy.dtype().descr();
    let truncated = |e: std::io::Error| format!("truncated data for shape ({rows}, {dim}): {e}");
    let data: Vec<f32> = match npy.try_data::<f32>() {
        Ok(r) => r.collect::<std::io::Result<_>>().map_err(truncated)?,
        Err(npy) => match npy.try_data::<f64>() {
            Ok(r) => r
                .map(|x| x.map(|v| v as f32))
                .collect::<std::io::Result<_>>()
                .map_err(truncated)?,
            Err(_) => {
                return Err(format!(
                    "only float32/float64 arrays are read, found {}",
                    descr.trim()
                ))
            }
        },
    };
    Ok((
        data,
        usize::try_from(dim).map_err(|_| "shape too large")?.max(1),
    ))
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
        // what NumPy writes: version 1.0, float64, and an integer array refused
        let mut f8 = b"\x93NUMPY\x01\x00".to_vec();
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
        let pad = 64 - (10 + header.len() + 1) % 64;
        let h = format!("{header}{}\n", " ".repeat(pad));
        f8.extend_from_slice(&(h.len() as u16).to_le_bytes());
        f8.extend_from_slice(h.as_bytes());
        for x in [0.5f64, -2.0] {
            f8.extend_from_slice(&x.to_le_bytes());
        }
        assert_eq!(parse_npy(&f8).unwrap(), (vec![0.5, -2.0], 2));
        let mut i8 = f8.clone();
        let at = i8.windows(3).position(|w| w == b"<f8").unwrap();
        i8[at + 1] = b'i';
        let err = parse_npy(&i8).unwrap_err();
        assert!(err.contains("float32/float64"), "{err}");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() - 3);
        assert!(parse_npy(&bytes).is_err());
    }
}
