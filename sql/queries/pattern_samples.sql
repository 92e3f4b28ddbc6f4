-- purpose: the kept example messages of one pattern
-- grain:   one row per sample
-- params:  $pattern_id
-- returns: source, ts, message
SELECT source, ts, message FROM pattern_samples WHERE pattern_id = $pattern_id ORDER BY source, ts;
