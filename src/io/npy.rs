//! A streaming writer of NumPy `.npy` files (float32, C order, 2-D), read
//! by `numpy.load` and so by pandas: rows are appended as they come and the
//! shape in the header is fixed up when the writer finishes.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Header length (magic + version + length + dict, padded): 128 bytes leaves
/// room for any row count.
const HEADER_LEN: usize = 128;

/// Writes `[rows, dim]` float32 rows to a `.npy` file.
pub struct NpyWriter {
    file: BufWriter<File>,
    path: PathBuf,
    dim: usize,
    rows: u64,
}

impl NpyWriter {
    /// Creates the file; `dim` is the row width.
    pub fn create(path: &Path, dim: usize) -> Result<NpyWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = NpyWriter {
            file: BufWriter::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
            dim,
            rows: 0,
        };
        let header = w.header();
        w.file.write_all(&header).map_err(|e| Error::io(path, e))?;
        Ok(w)
    }

    fn header(&self) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
            self.rows, self.dim
        );
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(b"\x93NUMPY\x01\x00");
        h.extend_from_slice(&((HEADER_LEN - 10) as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        while h.len() < HEADER_LEN - 1 {
            h.push(b' ');
        }
        h.push(b'\n');
        h
    }

    /// Appends one row (must have `dim` values).
    pub fn push(&mut self, row: &[f32]) -> Result<()> {
        if row.len() != self.dim {
            return Err(Error::Data(format!(
                "embedding has {} values, the file has rows of {}",
                row.len(),
                self.dim
            )));
        }
        for x in row {
            self.file
                .write_all(&x.to_le_bytes())
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the final shape into the header and closes the file.
    pub fn finish(mut self) -> Result<u64> {
        let header = self.header();
        let io = |e| Error::io(&self.path, e);
        self.file.flush().map_err(io)?;
        let mut f = self
            .file
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        f.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&self.path, e))?;
        f.write_all(&header).map_err(|e| Error::io(&self.path, e))?;
        f.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        let mut w = NpyWriter::create(&p, 2).unwrap();
        w.push(&[1.0, 2.0]).unwrap();
        w.push(&[3.0, -1.5]).unwrap();
        assert!(w.push(&[1.0]).is_err());
        assert_eq!(w.finish().unwrap(), 2);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 128 + 16);
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let header = String::from_utf8_lossy(&bytes[10..128]);
        assert!(header.contains("'shape': (2, 2)"), "{header}");
        assert!(header.ends_with('\n'));
        assert_eq!(
            f32::from_le_bytes(bytes[128 + 12..].try_into().unwrap()),
            -1.5
        );
    }
}
