//! Contract tests of the SIEM export's tables: cursors per target survive a reopen and
//! only move when saved; checkpoints are read back by size range.

use super::TestStore;
use plenum_store::{SiemCursor, Store};

contract!(
    siem_cursors_are_per_target_and_persist,
    checkpoint_notes_page_by_size,
);

async fn siem_cursors_are_per_target_and_persist(s: &TestStore) {
    assert_eq!(s.siem_cursor("soc").await.unwrap(), None);
    let first = SiemCursor {
        next_seq: 10,
        checkpoint_size: 8,
    };
    s.save_siem_cursor("soc", first, super::t0()).await.unwrap();
    assert_eq!(s.siem_cursor("soc").await.unwrap(), Some(first));
    assert_eq!(s.siem_cursor("backup").await.unwrap(), None);
    let second = SiemCursor {
        next_seq: 12,
        checkpoint_size: 12,
    };
    s.save_siem_cursor("soc", second, super::t0())
        .await
        .unwrap();
    let reopened = Store::connect(&s.url).await.unwrap();
    assert_eq!(reopened.siem_cursor("soc").await.unwrap(), Some(second));
    reopened.close().await;
    // A seq beyond what the database's BIGINT holds is refused, not wrapped.
    let huge = SiemCursor {
        next_seq: u64::MAX,
        checkpoint_size: 0,
    };
    assert!(s.save_siem_cursor("soc", huge, super::t0()).await.is_err());
    assert_eq!(s.siem_cursor("soc").await.unwrap(), Some(second));
}

async fn checkpoint_notes_page_by_size(s: &TestStore) {
    assert!(s.checkpoint_notes(0, 100, 10).await.unwrap().is_empty());
    // Rows as the checkpoint writer leaves them (the store does not interpret the note).
    let insert = "INSERT INTO audit_checkpoints (size, time_ms, root, key_name, frontier, note) \
                  VALUES ($1, $2, 'root', 'k', '', $3)";
    for size in [3i64, 5, 9, 20] {
        let note = format!("origin\n{size}\n");
        if s.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&s.url).await.unwrap();
            sqlx::query(insert)
                .bind(size)
                .bind(size * 1000)
                .bind(note)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&s.url).await.unwrap();
            sqlx::query(insert)
                .bind(size)
                .bind(size * 1000)
                .bind(note)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
    let sizes = |notes: Vec<plenum_store::CheckpointNoteRecord>| {
        notes.into_iter().map(|n| n.size).collect::<Vec<_>>()
    };
    assert_eq!(
        sizes(s.checkpoint_notes(0, 100, 10).await.unwrap()),
        [3, 5, 9, 20]
    );
    assert_eq!(sizes(s.checkpoint_notes(3, 9, 10).await.unwrap()), [5, 9]);
    assert_eq!(sizes(s.checkpoint_notes(0, 100, 2).await.unwrap()), [3, 5]);
    assert!(s.checkpoint_notes(20, 100, 10).await.unwrap().is_empty());
    let first = &s.checkpoint_notes(0, 3, 1).await.unwrap()[0];
    assert_eq!((first.time_ms, first.note.as_str()), (3000, "origin\n3\n"));
}
