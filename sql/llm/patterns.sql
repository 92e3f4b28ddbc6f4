-- purpose: what the store knows of some patterns (the judge's counts and its suggest targets)
-- grain:   one row per (source, pattern)
-- params:  $keys (VARCHAR[]: pattern_id || chr(31) || source)
-- returns: source, pattern_id, level, template, sample, total, first_seen, last_seen
SELECT source, pattern_id, level, template, sample, total, first_seen, last_seen
FROM patterns
WHERE list_contains($keys, pattern_id || chr(31) || source);
