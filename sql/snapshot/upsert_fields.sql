-- purpose: record the field names of one batch of a source (format drift: new fields)
-- grain:   one row per (source, field)
-- params:  $source, $ts (the batch's time: its latest record ts, or the tick time when the
--          batch has no timestamps); reads the registered frame batch_fields (field, n) as
--          made by ailert.fields.field_names
-- returns: nothing
INSERT INTO source_fields (source, field, first_seen, last_seen, n)
SELECT $source, field, $ts, $ts, n FROM batch_fields
ON CONFLICT (source, field) DO UPDATE SET
    first_seen = least(source_fields.first_seen, excluded.first_seen),
    last_seen  = greatest(source_fields.last_seen, excluded.last_seen),
    n          = source_fields.n + excluded.n;
