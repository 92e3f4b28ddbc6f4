-- purpose: suppressions mirrored by an Alertmanager silence, for the tick's silence sync
-- grain:   one row per suppression
-- params:  none
-- returns: every column of suppressions, for rows with a silence id not known to be expired
SELECT *
FROM suppressions
WHERE silence_id IS NOT NULL AND NOT silence_expired
ORDER BY suppression_id;
