//! [`Tx`]: one database transaction on whichever backend, so that a change and the audit
//! entry recording it commit together or not at all.
//!
//! Store methods that take part in a transaction are written once against [`on_tx!`],
//! which expands their body per backend like `on_backend!` does for the pool.

use crate::{Backend, Store, StoreError};
use sqlx::{Postgres, Sqlite, Transaction};

/// An open transaction. Dropping it without [`Tx::commit`] rolls it back.
#[derive(Debug)]
pub struct Tx {
    pub(crate) inner: TxInner,
}

#[derive(Debug)]
pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut *conn` is an
/// executor). The body is compiled once per backend.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::tx::TxInner::Sqlite($conn) => $body,
            $crate::tx::TxInner::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_tx;

impl Store {
    /// Starts a transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the database's
    /// write lock at once (waiting up to the busy timeout), so a transaction that reads
    /// before it writes cannot fail half-way with a lock upgrade conflict.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let inner = match &self.backend {
            Backend::Sqlite(pool) => TxInner::Sqlite(
                pool.begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::from_sqlx)?,
            ),
            Backend::Postgres(pool) => {
                TxInner::Postgres(pool.begin().await.map_err(StoreError::from_sqlx)?)
            }
        };
        Ok(Tx { inner })
    }
}

impl Tx {
    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await,
            TxInner::Postgres(tx) => tx.commit().await,
        }
        .map_err(StoreError::from_sqlx)
    }

    /// Discards every change of the transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await,
            TxInner::Postgres(tx) => tx.rollback().await,
        }
        .map_err(StoreError::from_sqlx)
    }
}

/// [`fetch!`](crate) inside a transaction: `tx_fetch!(tx, query_as(sql), [args], fetch_one)`.
macro_rules! tx_fetch {
    ($tx:expr, $kind:ident($sql:expr), [$($arg:expr),* $(,)?], $finish:ident) => {
        $crate::tx::on_tx!($tx, conn => sqlx::$kind($sql)$(.bind($arg))*.$finish(&mut **conn).await)
            .map_err($crate::StoreError::from_sqlx)
    };
}
pub(crate) use tx_fetch;

/// [`execute!`](crate) inside a transaction; yields how many rows the statement affected.
macro_rules! tx_execute {
    ($tx:expr, $sql:expr, [$($arg:expr),* $(,)?]) => {
        $crate::tx::on_tx!($tx, conn => sqlx::query($sql)$(.bind($arg))*
            .execute(&mut **conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err($crate::StoreError::from_sqlx)
    };
}
pub(crate) use tx_execute;
