-- A meeting's free-text description (agenda, notes); empty when there is none.
ALTER TABLE meetings ADD COLUMN description TEXT NOT NULL DEFAULT '';
