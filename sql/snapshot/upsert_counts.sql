-- purpose: add a batch's counts per pattern and bucket
-- grain:   one row per (source, pattern_id, bucket)
-- params:  $source; reads the registered frame batch_counts (pattern_id, bucket, n)
-- returns: nothing
INSERT INTO pattern_counts (source, pattern_id, bucket, n)
SELECT $source, pattern_id, bucket, n FROM batch_counts
ON CONFLICT (source, pattern_id, bucket) DO UPDATE SET n = pattern_counts.n + excluded.n;
