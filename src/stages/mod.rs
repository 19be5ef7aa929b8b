//! The record stages after the encoder: what a record means to the business.
//!
//! * [`codebook`]: the codebook (码框) and points: rules, exemplars and
//!   learned classifiers code every customer clause; pain, itch and delight
//!   per (clause, code), each with its owner department;
//! * [`conversation`]: conversation features (sentiment trajectory,
//!   unresolved end, escalation request, repeat contact, agent apology and
//!   empathy) with their evidence;
//! * [`alerts`]: alert rules (YAML): churn, regulator, legal, safety and
//!   escalation alerts with severity, owner, deadline and trigger spans.

pub mod alerts;
pub mod codebook;
pub mod conversation;
