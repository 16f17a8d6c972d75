-- Mobility (issue 11), settlement after erasure (docs/mobility.md).
-- A visit of an erased member keeps its member-day for per-day tariffs without its member: at
-- erasure, each of the member's visits gets the id of the member's first visit to that space
-- that day (computed alike at both ends from the same visits), and the member id goes.
ALTER TABLE visit ADD COLUMN erased_day_key TEXT;
