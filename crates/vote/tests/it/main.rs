//! Behavioural tests of plenum-vote: the state machine, protocols built on a real audit
//! log and signing key, their tampered variants (checked by both verifiers), and the
//! documented statement example.

// A test binary: a failing unwrap in a helper is a failing test.
#![allow(clippy::unwrap_used)]

mod doc_example;
mod fixture;
mod machine;
mod python;
mod tamper;
