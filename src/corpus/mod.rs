//! The corpus stages: what many analyzed records say together.
//!
//! * [`cluster`]: hot issues: an HNSW kNN graph + Leiden clusters, labels,
//!   hotness, emerging issues, codebook gaps, codebook drafts;
//! * [`analytics`]: NPS, CSAT and CES with 95% intervals, key drivers,
//!   trends, before/after tests;
//! * [`keywords`]: corpus keywords (TF-IDF, TextRank for Chinese);
//! * [`report`]: the CX report, one self-contained HTML file (`vocmine report`).

pub mod analytics;
pub mod cluster;
pub mod keywords;
pub mod report;
