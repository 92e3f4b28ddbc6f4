-- purpose: add a batch's counts per pattern and UTC day (complete for every period, kept for
--          ever)
-- grain:   one row per (source, pattern_id, day); MERGE, no index (see upsert_counts)
-- params:  $source; reads the registered frame batch_counts (pattern_id, bucket, n)
-- returns: nothing (run with upsert_counts and upsert_counts_hourly in one transaction)
MERGE INTO pattern_counts_daily AS t
USING (
    SELECT $source AS source, CAST(pattern_id AS VARCHAR) AS pattern_id,
           date_trunc('day', bucket) AS bucket, sum(n)::BIGINT AS n
    FROM batch_counts
    GROUP BY ALL
) AS s
ON t.source = s.source AND t.pattern_id = s.pattern_id AND t.bucket = s.bucket
WHEN MATCHED THEN UPDATE SET n = t.n + s.n
WHEN NOT MATCHED THEN INSERT (source, pattern_id, bucket, n)
    VALUES (s.source, s.pattern_id, s.bucket, s.n);
