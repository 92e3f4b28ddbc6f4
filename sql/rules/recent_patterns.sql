-- purpose: the patterns seen since $since, for the mask-rule statistic (patterns of one source
--          that differ in one token only)
-- grain:   one row per (source, pattern)
-- params:  $since
-- returns: source, pattern_id, level, template, total
SELECT source, pattern_id, level, template, total
FROM patterns
WHERE last_seen >= $since
ORDER BY source, pattern_id;
