-- purpose: add a batch's per-pattern totals; a pattern seen for the first time is inserted
--          with its founding template and first sample
-- grain:   one row per (source, pattern_id)
-- params:  $source; reads the registered frame batch_patterns
--          (pattern_id, template, level, first_seen, last_seen, n, sample)
-- returns: nothing
INSERT INTO patterns (source, pattern_id, template, level, first_seen, last_seen, total, sample)
SELECT $source, pattern_id, template, level, first_seen, last_seen, n, sample
FROM batch_patterns
ON CONFLICT (source, pattern_id) DO UPDATE SET
    first_seen = least(patterns.first_seen, excluded.first_seen),
    last_seen  = greatest(patterns.last_seen, excluded.last_seen),
    total      = patterns.total + excluded.total;
