-- Formal votes inside meetings (issue #6). The events themselves (open, ballots, close,
-- cancel) are audit entries; a row here names them by seq and keeps what only the close
-- produced: the signed checkpoint's size, the signing key's `audit.key_valid` entry and
-- the signed result statement. The protocol is re-assembled from the audit entries on
-- every export, so a change to a stored entry fails its verification. No row holds a
-- voter's id next to a token or a choice. A vote stays when its meeting is deleted (it is
-- a record of a decision); `retention.votes` governs how long.
CREATE TABLE votes (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    meeting_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    mode            TEXT NOT NULL,
    state           TEXT NOT NULL,
    opened_at       BIGINT NOT NULL,
    closed_at       BIGINT,
    -- JSON array of the vote's audit seqs: vote.open, every vote.ballot, vote.close or
    -- vote.cancel, in log order (empty while open).
    entry_seqs      TEXT NOT NULL,
    checkpoint_size BIGINT,
    key_seq         BIGINT,
    -- The protocol's summary of the vote and its tally (JSON), as assembled at the seal.
    summary         TEXT,
    statement       TEXT,
    signature       TEXT
);
CREATE INDEX votes_meeting ON votes (meeting_id, opened_at);
