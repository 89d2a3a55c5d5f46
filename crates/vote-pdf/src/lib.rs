//! The printable protocol of a vote (issue #6): an A4 PDF in German or English.
//!
//! [`render`] verifies the protocol (as `plenum vote verify` does) and prints what the
//! JSON says: subject, meeting, times, mode with what it discloses, eligible voters,
//! participation, the result, a line per voter (roll-call) or per token (pseudonymous),
//! and the checkpoint, root hash, result signature and public key, so the paper can be
//! matched to the JSON it came from. Pages are numbered ("Seite 1 von 2").
//!
//! Sans-IO: no file, clock or font directory is touched. Text is set in the PDF standard
//! fonts Helvetica and Courier, which every reader has, so nothing is embedded; their
//! encoding, WinAnsiEncoding (Windows-1252), covers German and English (ä ö ü ß „ “ – €).
//! **Characters outside it (e.g. Ł, Cyrillic, CJK, emoji) are printed as `?`**; the JSON
//! protocol keeps the exact text. Line breaks use Adobe's Helvetica metrics.

mod document;
mod layout;
mod metrics;
mod pdf;
mod texts;

use plenum_vote::{EventError, Protocol, VerifyError, verify_protocol};

pub use texts::Lang;

/// The most pages a protocol may have; 1000 eligible voters (the most a vote has) need
/// about 40.
pub const MAX_PAGES: usize = 200;

/// Why a protocol could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The protocol does not verify; a PDF of it would print claims nobody can check.
    #[error("the protocol does not verify: {0}")]
    Unverified(#[from] VerifyError),
    #[error("a vote event does not parse: {0}")]
    Event(#[from] EventError),
    #[error("the checkpoint does not parse: {0}")]
    Checkpoint(plenum_audit::CheckpointError),
    #[error("the result statement has no signature by key {0}")]
    MissingSignature(String),
    #[error("time {0} ms is outside the printable calendar")]
    TimeOutOfRange(u64),
    #[error("the protocol would need more than {limit} pages")]
    TooManyPages { limit: usize },
}

/// Renders `protocol` as an A4 PDF in `lang`.
pub fn render(protocol: &Protocol, lang: Lang) -> Result<Vec<u8>, PdfError> {
    let report = verify_protocol(protocol, &[])?;
    let texts = lang.texts();
    let blocks = document::blocks(protocol, &report, texts)?;
    let mut pages = layout::lay_out(&blocks, MAX_PAGES)?;
    layout::add_footers(&mut pages, |page, count| {
        format!(
            "{} {} · {} {page} {} {count}",
            texts.title, protocol.vote.id, texts.page, texts.of
        )
    });
    let title = format!("{}: {}", texts.title, protocol.vote.subject);
    let metadata = pdf::Metadata {
        title: &title,
        language: lang.tag(),
    };
    Ok(pdf::write(&pages, &metadata))
}
