//! `plenum vote verify PROTOCOL [--receipt RECEIPT]...`: the offline verifier of a vote
//! protocol and voters' receipts (see `docs/vote-protocol.md`). No database, no network:
//! it trusts only the signatures and proofs in the files.
//!
//! Exit codes: 0 verified (the summary ends in `OK`), 1 verification failed (the message
//! names the entry, option or field that is wrong), 2 unreadable input (missing file, too
//! large, not a protocol or receipt at all).

use crate::audit_cli::read;
use plenum_vote::{Protocol, Receipt, verify_protocol};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Largest protocol read: a thousand voters' entries with proofs take about 5 MB.
const MAX_PROTOCOL_BYTES: u64 = 256 << 20;
/// Largest receipt read.
const MAX_RECEIPT_BYTES: u64 = 1 << 20;

/// Verifies and prints the summary on stdout or the problem on stderr.
pub fn verify(protocol: &Path, receipts: &[PathBuf]) -> ExitCode {
    let parsed = read(protocol, MAX_PROTOCOL_BYTES).and_then(|bytes| {
        Protocol::from_json(&bytes).map_err(|e| format!("{}: {e}", protocol.display()))
    });
    let protocol = match parsed {
        Ok(protocol) => protocol,
        Err(e) => return unreadable(&e),
    };
    let mut parsed_receipts = Vec::with_capacity(receipts.len());
    for path in receipts {
        match read(path, MAX_RECEIPT_BYTES).and_then(|bytes| {
            Receipt::from_json(&bytes).map_err(|e| format!("{}: {e}", path.display()))
        }) {
            Ok(receipt) => parsed_receipts.push(receipt),
            Err(e) => return unreadable(&e),
        }
    }
    match verify_protocol(&protocol, &parsed_receipts) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vote verify: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn unreadable(message: &str) -> ExitCode {
    eprintln!("vote verify: cannot read input: {message}");
    ExitCode::from(2)
}
