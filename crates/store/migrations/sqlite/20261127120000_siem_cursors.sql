-- Where each SIEM export target stands (crates/siem): the first audit seq it has not yet
-- confirmed and the tree size of the last checkpoint it confirmed. Advanced only after a
-- receiver confirmed a batch, so a restart resends, never skips (docs/siem.md).
CREATE TABLE siem_cursors (
    target          TEXT PRIMARY KEY,
    next_seq        BIGINT NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
