-- purpose: count history of one pattern (last $limit buckets) at one resolution, from its table
--          (not v_counts, which shows each period once, at its finest kept resolution)
-- grain:   one row per (source, bucket) with records
-- params:  $pattern_id, $resolution ('minute' | 'hour' | 'day'), $limit
-- returns: source, bucket, resolution, count
WITH counts AS (
    SELECT source, pattern_id, bucket, 'minute' AS resolution, n FROM pattern_counts
    UNION ALL
    SELECT source, pattern_id, bucket, 'hour' AS resolution, n FROM pattern_counts_hourly
    UNION ALL
    SELECT source, pattern_id, bucket, 'day' AS resolution, n FROM pattern_counts_daily
)
SELECT source, bucket, resolution, n AS count FROM (
    SELECT source, bucket, resolution, n FROM counts
    WHERE pattern_id = $pattern_id AND resolution = $resolution
    ORDER BY bucket DESC LIMIT $limit
) ORDER BY bucket, source;
