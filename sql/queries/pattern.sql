-- purpose: one pattern (in every source that has it) for `ailert show`
-- grain:   one row per source holding the pattern
-- params:  $pattern_id
-- returns: pattern_id, template, level, source, first_seen, last_seen, count, sample
SELECT pattern_id, template, level, source, first_seen, last_seen, total AS count, sample
FROM patterns WHERE pattern_id = $pattern_id ORDER BY source;
