//! The store's error type.

/// What can go wrong in the store. Callers match on [`StoreError::NotFound`] and
/// [`StoreError::Conflict`]; everything else is an operational failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row matched (or a referenced row, such as a meeting's owner, does not exist).
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint was violated (a taken username or invite code).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database URL could not be understood.
    #[error("invalid database URL {0}")]
    InvalidUrl(String),
    /// A stored value does not decode (for example an id that is not a UUID): the
    /// database was edited by hand or is corrupt.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// An audit entry cannot be encoded (a field too long, a malformed personal value).
    #[error("invalid audit entry: {0}")]
    InvalidAuditEntry(#[from] plenum_audit::EntryError),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Sorts driver errors into the variants callers act on.
    pub(crate) fn from_sqlx(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.message().to_owned());
            }
            if db.is_foreign_key_violation() {
                return StoreError::NotFound;
            }
        }
        StoreError::Database(error)
    }
}
