-- purpose: patterns that read like failures but are logged below warn, were found by change
--          detection since $since and never alerted ("alert on it always" is suggested)
-- grain:   one row per (source, pattern)
-- params:  $since, $words (a regex of failure words, matched on the lower-cased template)
-- returns: source, pattern_id, level, template, findings, total
SELECT p.source, p.pattern_id, p.level, p.template, count(f.finding_id) AS findings, p.total
FROM patterns AS p
JOIN findings AS f
  ON f.pattern_id = p.pattern_id AND f.source = p.source AND f.detected_at >= $since
 AND f.kind IN ('new', 'rate_shift')
WHERE p.level IN ('trace', 'debug', 'info', 'unknown')
  AND regexp_matches(lower(p.template), $words)
  AND NOT EXISTS (SELECT 1 FROM alerts AS a
                  WHERE a.pattern_hash = p.pattern_id AND a.source = p.source)
GROUP BY ALL
ORDER BY findings DESC, p.total DESC, p.pattern_id;
