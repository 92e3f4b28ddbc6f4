-- purpose: suppressions in force at $now (AIlert's own and Alertmanager silences read back)
-- grain:   one row per suppression
-- params:  $now
-- returns: every column of suppressions
SELECT *
FROM suppressions
WHERE ended_at IS NULL AND starts_at <= $now AND until > $now
ORDER BY created_at, suppression_id;
