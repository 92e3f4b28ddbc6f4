-- purpose: add a batch's metric sample statistics per series (pattern) and bucket
-- grain:   one row per (source, pattern_id, bucket)
-- params:  $source; reads the registered frame pull_values
--          (pattern_id, bucket, samples, total, min, max, last)
-- returns: nothing
INSERT INTO metric_values (source, pattern_id, bucket, samples, total, min, max, last)
SELECT $source, pattern_id, bucket, samples, total, min, max, last FROM pull_values
ON CONFLICT (source, pattern_id, bucket) DO UPDATE SET
    samples = metric_values.samples + excluded.samples,
    total   = coalesce(metric_values.total, 0) + coalesce(excluded.total, 0),
    min     = least(metric_values.min, excluded.min),
    max     = greatest(metric_values.max, excluded.max),
    last    = coalesce(excluded.last, metric_values.last);
