-- purpose: add a batch's records and mapping failures per bucket of a source
-- grain:   one row per (source, bucket)
-- params:  $source; reads the registered frame batch_sources (bucket, records, failures)
-- returns: nothing
INSERT INTO source_counts (source, bucket, records, mapping_failures)
SELECT $source, bucket, records, failures FROM batch_sources
ON CONFLICT (source, bucket) DO UPDATE SET
    records          = source_counts.records + excluded.records,
    mapping_failures = source_counts.mapping_failures + excluded.mapping_failures;
