-- purpose: open the runs row of one tick of one source (counters start at 0, outcome running)
-- grain:   one row per (tick, source)
-- params:  $source
-- returns: run_id
INSERT INTO runs (run_id, source, started_at, outcome)
VALUES (nextval('run_ids'), $source, now(), 'running')
RETURNING run_id;
