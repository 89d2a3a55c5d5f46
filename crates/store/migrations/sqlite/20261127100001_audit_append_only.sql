-- The audit trail is append-only (SQLite): entries, checkpoints and the head row refuse
-- every change except the ones the log itself needs. A determined owner of the database
-- file can drop these triggers; what then exposes a change are the signed checkpoints
-- and the witnessed copies outside the server (docs/audit-format.md).

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused');
END;

-- The one DELETE allowed: the retention job removing entries below the oldest retained
-- seq (audit_head.first_seq), and only a prefix that a checkpoint has sealed.
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN NOT (
    OLD.seq < (SELECT first_seq FROM audit_head WHERE id = 1)
    AND (SELECT first_seq FROM audit_head WHERE id = 1)
        <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)
)
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused');
END;

-- Personal values may be erased (DELETE), never rewritten.
CREATE TRIGGER audit_personal_no_update BEFORE UPDATE ON audit_personal
BEGIN
    SELECT RAISE(ABORT, 'audit_personal cannot be changed, only erased');
END;

-- The head only moves forward: the size never shrinks, the retained start never goes
-- back and moves only up to a sealed (checkpointed) size, and the row is never removed.
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.size < OLD.size OR NEW.first_seq < OLD.first_seq OR NEW.first_seq > NEW.size
    OR NEW.last_time_ms < OLD.last_time_ms
    OR (NEW.first_seq <> OLD.first_seq
        AND NEW.first_seq > (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints))
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END;
