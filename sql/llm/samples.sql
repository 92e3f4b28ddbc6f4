-- purpose: the kept example messages of the patterns the judge is about to ask about
-- grain:   one row per sample, at most $per_pattern per (source, pattern), newest first
-- params:  $keys (VARCHAR[]: pattern_id || chr(31) || source), $per_pattern
-- returns: source, pattern_id, message
SELECT source, pattern_id, message
FROM (
    SELECT source, pattern_id, message,
           row_number() OVER (PARTITION BY source, pattern_id ORDER BY ts DESC) AS rn
    FROM pattern_samples
    WHERE list_contains($keys, pattern_id || chr(31) || source)
)
WHERE rn <= $per_pattern
ORDER BY source, pattern_id, rn;
