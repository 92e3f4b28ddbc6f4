-- purpose: add a batch's counts per pattern and hour (the hourly table is complete for every
--          period, so long diff windows read hours instead of minutes)
-- grain:   one row per (source, pattern_id, hour); MERGE, no index (see upsert_counts)
-- params:  $source; reads the registered frame batch_counts (pattern_id, bucket, n)
-- returns: nothing (run with upsert_counts and upsert_counts_daily in one transaction)
MERGE INTO pattern_counts_hourly AS t
USING (
    SELECT $source AS source, CAST(pattern_id AS VARCHAR) AS pattern_id,
           date_trunc('hour', bucket) AS bucket, sum(n)::BIGINT AS n
    FROM batch_counts
    GROUP BY ALL
) AS s
ON t.source = s.source AND t.pattern_id = s.pattern_id AND t.bucket = s.bucket
WHEN MATCHED THEN UPDATE SET n = t.n + s.n
WHEN NOT MATCHED THEN INSERT (source, pattern_id, bucket, n)
    VALUES (s.source, s.pattern_id, s.bucket, s.n);
