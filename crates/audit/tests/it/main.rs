//! Behavioural tests of plenum-audit: the RFC 6962 vectors, the leaf encoding, checkpoints,
//! and tamper cases on generated bundles.

// A test binary: a failing unwrap in a helper is a failing test.
#![allow(clippy::unwrap_used)]

mod bundle;
mod catalogue_doc;
mod checkpoint;
mod entry;
mod fixture;
mod merkle;
