-- The inclusion proofs of a sealed vote's entries and of its key's `audit.key_valid` entry
-- in the seal's checkpoint (JSON: [{"seq": n, "proof": [hex, …]}, …]). The checkpoint
-- never changes, so neither do the proofs: a protocol is assembled from the entries as
-- stored now and these proofs, without reading the whole trail again (a changed entry
-- still fails, since its leaf no longer matches its proof). NULL for votes sealed before
-- the proofs were kept; theirs are computed from the trail when asked for.
ALTER TABLE votes ADD COLUMN proofs TEXT;
