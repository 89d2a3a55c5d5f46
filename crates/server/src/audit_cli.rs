//! `plenum audit verify BUNDLE [--witness CHECKPOINT_FILE]`: the offline verifier of an
//! exported audit bundle. It needs no database and no network: everything it trusts is in
//! the bundle's signatures and, optionally, a witnessed checkpoint kept elsewhere.
//!
//! Exit codes: 0 verified, 1 verification failed (the message names the first bad entry
//! or checkpoint), 2 unreadable input (missing file, too large, not a bundle or not a
//! checkpoint at all).

use plenum_audit::{Bundle, Checkpoint, verify_bundle};
use std::path::Path;
use std::process::ExitCode;

/// Largest bundle read (a million entries take roughly 700 MB of JSON).
const MAX_BUNDLE_BYTES: u64 = 4 << 30;

/// Runs the verifier and prints one line: the summary on stdout or the error on stderr.
pub fn verify(bundle: &Path, witness: Option<&Path>) -> ExitCode {
    let bundle = match read(bundle, MAX_BUNDLE_BYTES).and_then(|bytes| {
        Bundle::from_json(&bytes).map_err(|e| format!("{}: {e}", bundle.display()))
    }) {
        Ok(bundle) => bundle,
        Err(e) => return unreadable(&e),
    };
    let witness = match witness {
        None => None,
        Some(path) => {
            match read(path, plenum_audit::checkpoint::MAX_NOTE as u64).and_then(|bytes| {
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{}: not UTF-8", path.display()))?;
                Checkpoint::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }) {
                Ok(checkpoint) => Some(checkpoint),
                Err(e) => return unreadable(&e),
            }
        }
    };
    match verify_bundle(&bundle, witness.as_ref()) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("audit verify: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > limit {
        return Err(format!(
            "{}: {size} bytes exceeds the limit of {limit}",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn unreadable(message: &str) -> ExitCode {
    eprintln!("audit verify: cannot read input: {message}");
    ExitCode::from(2)
}
