-- A meeting's scheduled start (Unix seconds, UTC); NULL when it is not scheduled.
ALTER TABLE meetings ADD COLUMN starts_at BIGINT;
