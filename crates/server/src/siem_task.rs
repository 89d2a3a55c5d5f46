//! The live SIEM export (SEC-17): one background task per `[[siem.targets]]` entry, each a
//! [`plenum_siem::Exporter`] reading the audit tables through the store and keeping its
//! cursor in `siem_cursors`. Delivery status (last delivered seq, lag) and failures are
//! logged by the exporter under the target's name.

use crate::config::siem::SiemTarget;
use crate::state::AppState;
use plenum_siem::{
    CheckpointNote, Cursor, CursorStore, EntrySource, ExportSettings, Exporter, Formatter, Sender,
    SourceError,
};
use plenum_store::{SiemCursor, Store};

/// The audit log and cursor table of the store, as the exporter reads them.
#[derive(Clone, Debug)]
pub struct StoreSource(pub Store);

impl EntrySource for StoreSource {
    async fn entries(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<plenum_audit::Entry>, SourceError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let page = self.0.audit_entries(from_seq, limit).await?;
        Ok(page.into_iter().map(|item| item.entry).collect())
    }

    async fn checkpoints(
        &self,
        after_size: u64,
        up_to_size: u64,
        limit: usize,
    ) -> Result<Vec<CheckpointNote>, SourceError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let notes = self
            .0
            .checkpoint_notes(after_size, up_to_size, limit)
            .await?;
        Ok(notes
            .into_iter()
            .map(|n| CheckpointNote {
                size: n.size,
                time_ms: n.time_ms,
                note: n.note,
            })
            .collect())
    }

    async fn log_size(&self) -> Result<u64, SourceError> {
        Ok(self.0.audit_head().await?.size)
    }

    async fn first_seq(&self) -> Result<u64, SourceError> {
        Ok(self.0.audit_head().await?.first_seq)
    }
}

impl CursorStore for StoreSource {
    async fn load(&self, target: &str) -> Result<Option<Cursor>, SourceError> {
        Ok(self.0.siem_cursor(target).await?.map(|c| Cursor {
            next_seq: c.next_seq,
            checkpoint_size: c.checkpoint_size,
        }))
    }

    async fn save(&self, target: &str, cursor: Cursor) -> Result<(), SourceError> {
        let cursor = SiemCursor {
            next_seq: cursor.next_seq,
            checkpoint_size: cursor.checkpoint_size,
        };
        self.0
            .save_siem_cursor(target, cursor, time::OffsetDateTime::now_utc())
            .await?;
        Ok(())
    }
}

/// Starts one exporter task per configured target; they stop with the server.
pub fn start(state: &AppState) -> anyhow::Result<()> {
    // The syslog HOSTNAME: the host of the public URL, which names this instance the same
    // way on every node behind it.
    let (_, hostname) = crate::config::split_url(&state.config.http.public_url);
    let procid = std::process::id().to_string();
    for target in &state.config.siem.targets {
        let exporter = exporter(state, target, &hostname, &procid)?;
        let shutdown = state.shutdown.clone();
        tokio::spawn(exporter.run(async move { shutdown.wait().await }));
    }
    Ok(())
}

fn exporter(
    state: &AppState,
    target: &SiemTarget,
    hostname: &str,
    procid: &str,
) -> anyhow::Result<Exporter<StoreSource, StoreSource>> {
    // Checked when the configuration was loaded; fails here only if a file changed since.
    let sender = Sender::new(&target.address, &target.transport())?;
    let formatter = Formatter::new(
        target.payload_format(),
        target.facility(),
        hostname,
        procid,
        env!("CARGO_PKG_VERSION"),
    );
    let source = StoreSource(state.store.clone());
    Ok(Exporter::new(
        &target.name,
        formatter,
        sender,
        ExportSettings::default(),
        source.clone(),
        source,
    ))
}
