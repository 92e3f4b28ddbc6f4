-- purpose: one pattern's template, level and sample per source (suppress checks the id; the
--          serve confirmation page shows it)
-- grain:   one row per (source, pattern)
-- params:  $pattern_id, $source (NULL = every source)
-- returns: source, pattern_id, level, template, sample, total, last_seen
SELECT source, pattern_id, level, template, sample, total, last_seen
FROM patterns
WHERE pattern_id = $pattern_id AND ($source IS NULL OR source = $source)
UNION ALL
SELECT source, pattern_hash AS pattern_id, level, template, sample, count AS total,
       last_seen_at AS last_seen
FROM (
    SELECT *, row_number() OVER (PARTITION BY source ORDER BY alert_id DESC) AS rn
    FROM alerts
    WHERE pattern_hash = $pattern_id AND ($source IS NULL OR source = $source)
      AND NOT EXISTS (SELECT 1 FROM patterns AS p
                      WHERE p.pattern_id = $pattern_id AND p.source = alerts.source)
)
WHERE rn = 1
ORDER BY source;
