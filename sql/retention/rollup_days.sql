-- purpose: roll hourly buckets older than $cutoff into daily (UTC) buckets (same totals)
-- grain:   one row per (source, pattern_id, day)
-- params:  $cutoff (day-aligned); run with delete_hours in one transaction
-- returns: nothing
INSERT INTO pattern_counts_daily (source, pattern_id, bucket, n)
SELECT source, pattern_id, date_trunc('day', bucket), sum(n)
FROM pattern_counts_hourly
WHERE bucket < $cutoff::TIMESTAMPTZ
GROUP BY ALL
ON CONFLICT (source, pattern_id, bucket) DO UPDATE SET n = pattern_counts_daily.n + excluded.n;
