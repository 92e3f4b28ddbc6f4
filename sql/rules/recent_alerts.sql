-- purpose: the patterns that alerted since $since (what `rules suggest` asks the judge about)
-- grain:   one row per (pattern, source), the latest episode
-- params:  $since
-- returns: pattern_hash, source, kind, level, template, sample, count
SELECT pattern_hash, source, kind, level, template, sample, count
FROM alerts
WHERE starts_at >= $since AND NOT escalated AND kind IN ('new', 'rate_shift')
QUALIFY row_number() OVER (PARTITION BY pattern_hash, source ORDER BY alert_id DESC) = 1
ORDER BY pattern_hash, source;
