//! `plenum audit verify BUNDLE [--witness CHECKPOINT_FILE]`: the offline verifier of an
//! exported audit bundle. It needs no database and no network: everything it trusts is in
//! the bundle's signatures and, optionally, a witnessed checkpoint kept elsewhere.
//!
//! `plenum audit export [--from SEQ|TIME] [--to SEQ|TIME] OUT`: writes such a bundle from
//! the database the configuration names (see [`crate::audit::export`]), and records the
//! export in the trail.
//!
//! Exit codes: 0 verified, 1 verification failed (the message names the first bad entry
//! or checkpoint), 2 unreadable input (missing file, too large, not a bundle or not a
//! checkpoint at all).

use crate::audit::export;
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta, now_ms};
use crate::config::Config;
use anyhow::Context as _;
use plenum_audit::{Bundle, Checkpoint, verify_bundle};
use plenum_store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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

/// The bytes of `path`, refusing files over `limit`; errors name the file.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
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

/// Writes the bundle of `from..=to` to `out`.
pub async fn export(
    config: Config,
    from: String,
    to: Option<String>,
    out: PathBuf,
) -> anyhow::Result<()> {
    let store = crate::serve::open_store(&config).await?;
    let from_seq = match seq_of(&store, &from, Bound::From).await? {
        Some(seq) => seq,
        None => anyhow::bail!("--from {from}: no entry at or after that time"),
    };
    let to_seq = match &to {
        Some(text) => match seq_of(&store, text, Bound::To).await? {
            Some(seq) => seq,
            None => anyhow::bail!("--to {text}: no entry at or before that time"),
        },
        None => match store.latest_audit_checkpoint().await? {
            Some(checkpoint) if checkpoint.size > 0 => checkpoint.size - 1,
            _ => anyhow::bail!("nothing is sealed yet: no checkpoint in the trail"),
        },
    };
    let bundle = export::bundle(&store, &config.audit.origin, from_seq, to_seq).await?;
    let json = bundle.to_json().context("cannot encode the bundle")?;
    std::fs::write(&out, json).with_context(|| format!("cannot write {}", out.display()))?;
    let first = bundle.entries.first().map_or(0, |e| e.entry.seq);
    let event = AuditEvent::new(
        "audit.export",
        Outcome::Success,
        EventActor::system(),
        "audit",
    )
    .detail("first_seq", first.to_string())
    .detail("entries", bundle.entries.len().to_string())
    .detail("via", "cli");
    // A damaged trail (the reason for many exports) may refuse new entries; the bundle
    // is written all the same.
    if let Err(error) = store
        .append_audit(event.into_entry(&RequestMeta::internal(), now_ms()))
        .await
    {
        eprintln!("warning: the export could not be recorded in the audit trail: {error}");
    }
    println!(
        "wrote {} entries (seq {first} on) and {} checkpoints to {}",
        bundle.entries.len(),
        bundle.checkpoints.len(),
        out.display()
    );
    store.close().await;
    Ok(())
}

#[derive(Clone, Copy)]
enum Bound {
    From,
    To,
}

/// A seq given as a number, or the first (from) / last (to) seq at an RFC 3339 time.
async fn seq_of(store: &Store, text: &str, bound: Bound) -> anyhow::Result<Option<u64>> {
    if let Ok(seq) = text.parse::<u64>() {
        return Ok(Some(seq));
    }
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .with_context(|| format!("{text:?} is neither a seq number nor an RFC 3339 time"))?;
    let ms = u64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .with_context(|| format!("{text:?} is before 1970"))?;
    Ok(match bound {
        Bound::From => store.audit_seq_from_time(ms).await?,
        Bound::To => store.audit_seq_until_time(ms).await?,
    })
}
