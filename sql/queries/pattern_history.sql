-- purpose: per-bucket count history of one pattern (most recent $limit buckets)
-- grain:   one row per (source, bucket) with records
-- params:  $pattern_id, $limit
-- returns: source, bucket, count
SELECT source, bucket, n AS count FROM (
    SELECT source, bucket, n FROM pattern_counts
    WHERE pattern_id = $pattern_id ORDER BY bucket DESC LIMIT $limit
) ORDER BY bucket, source;
