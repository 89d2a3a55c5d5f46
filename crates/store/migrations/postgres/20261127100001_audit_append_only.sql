-- The audit trail is append-only (PostgreSQL): entries, checkpoints and the head row
-- refuse every change except the ones the log itself needs. Triggers bind every role,
-- the owner included; docs/audit-format.md also describes a login role for Plenum
-- without UPDATE or DELETE grants on these tables, so that even dropping the triggers
-- needs another role. What exposes a change made anyway are the signed checkpoints and
-- their witnessed copies outside the server.

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The one DELETE allowed: the retention job removing entries below the oldest
    -- retained seq (audit_head.first_seq), and only a prefix a checkpoint has sealed.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entries'
       AND OLD.seq < (SELECT first_seq FROM audit_head WHERE id = 1)
       AND (SELECT first_seq FROM audit_head WHERE id = 1)
           <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints) THEN
        RETURN OLD;
    END IF;
    -- Personal values may be erased, never rewritten.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_personal' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_personal_no_update BEFORE UPDATE ON audit_personal
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

-- The head only moves forward and is never removed; the retained start moves only up to
-- a sealed (checkpointed) size.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.size >= OLD.size AND NEW.first_seq >= OLD.first_seq
           AND NEW.first_seq <= NEW.size AND NEW.last_time_ms >= OLD.last_time_ms
           AND (NEW.first_seq = OLD.first_seq OR NEW.first_seq
                <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();
