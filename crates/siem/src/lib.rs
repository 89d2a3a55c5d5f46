//! plenum-siem: the live export of the audit trail to security monitoring (SEC-17).
//!
//! - [`format`] (sans-IO): one audit entry or signed checkpoint as an RFC 5424 syslog
//!   message whose MSG is JSON with Elastic Common Schema field names or CEF; severities
//!   from the event catalogue, every control character escaped.
//! - [`transport`]: RFC 5425 octet-counted syslog over TLS (the receiver's certificate
//!   checked against a configured CA, optional client certificate), plain TCP or UDP, and
//!   the close handshake that confirms a batch.
//! - [`export`]: the at-least-once exporter of one target, with a persisted cursor,
//!   bounded batches and backoff, reading through the [`EntrySource`] trait.
//!
//! Formats, field mapping and delivery semantics: `docs/siem.md`.

pub mod export;
pub mod format;
pub mod transport;

pub use export::{
    Cursor, CursorStore, EntrySource, ExportError, ExportSettings, Exporter, Round, SourceError,
};
pub use format::{CheckpointNote, Facility, Formatter, PayloadFormat, Record};
pub use transport::{Sender, TlsSettings, Transport, TransportError};
