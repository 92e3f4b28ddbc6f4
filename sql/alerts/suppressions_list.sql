-- purpose: the listing of `ailert suppressions`: active ones, or with $all every one ever made
-- grain:   one row per suppression
-- params:  $now, $all (BOOLEAN)
-- returns: every column of suppressions plus active (BOOLEAN), newest first
SELECT *, (ended_at IS NULL AND starts_at <= $now AND until > $now) AS active
FROM suppressions
WHERE $all OR (ended_at IS NULL AND until > $now)
ORDER BY created_at DESC, suppression_id DESC;
