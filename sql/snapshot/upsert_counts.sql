-- purpose: add a batch's counts per pattern and minute bucket (tick.bucket)
-- grain:   one row per (source, pattern_id, bucket); the table has no index: MERGE finds the
--          batch's existing rows through the bucket zone maps (the tail of the table)
-- params:  $source; reads the registered frame batch_counts (pattern_id, bucket, n)
-- returns: nothing (run with upsert_counts_hourly and upsert_counts_daily in one transaction)
MERGE INTO pattern_counts AS t
USING (
    SELECT $source AS source, CAST(pattern_id AS VARCHAR) AS pattern_id, bucket, n
    FROM batch_counts
) AS s
ON t.source = s.source AND t.pattern_id = s.pattern_id AND t.bucket = s.bucket
WHEN MATCHED THEN UPDATE SET n = t.n + s.n
WHEN NOT MATCHED THEN INSERT (source, pattern_id, bucket, n)
    VALUES (s.source, s.pattern_id, s.bucket, s.n);
