-- purpose: roll minute buckets older than $cutoff into hourly buckets (same totals)
-- grain:   one row per (source, pattern_id, hour)
-- params:  $cutoff (hour-aligned); run with delete_minutes in one transaction
-- returns: nothing
INSERT INTO pattern_counts_hourly (source, pattern_id, bucket, n)
SELECT source, pattern_id, date_trunc('hour', bucket), sum(n)
FROM pattern_counts
WHERE bucket < $cutoff::TIMESTAMPTZ
GROUP BY ALL
ON CONFLICT (source, pattern_id, bucket) DO UPDATE SET n = pattern_counts_hourly.n + excluded.n;
