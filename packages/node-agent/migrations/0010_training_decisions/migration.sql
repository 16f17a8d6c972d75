-- Trainings (issue 10), after review: the minimum is decided once. At a training's decision
-- deadline the sweeper either cancels it (seats taken below its minimum) or records here that
-- the minimum was met; places given back after that never cancel it. Changing the minimum or
-- the deadline asks the question again (the column goes back to NULL).
ALTER TABLE training ADD COLUMN minimum_met_at TIMESTAMPTZ;

DROP INDEX training_decision_idx;
CREATE INDEX training_decision_idx ON training (decision_at)
    WHERE owned AND status = 'SCHEDULED' AND minimum > 0 AND minimum_met_at IS NULL;
