-- purpose: silence work left for the tick: silences to create (wanted, active, no id yet) and
--          to expire (suppression ended or lapsed, silence still live)
-- grain:   one row per suppression
-- params:  $now
-- returns: every column of suppressions plus todo ('create' | 'expire')
SELECT *, 'create' AS todo
FROM suppressions
WHERE silence_wanted AND silence_id IS NULL AND ended_at IS NULL AND until > $now
UNION ALL
SELECT *, 'expire' AS todo
FROM suppressions
WHERE silence_id IS NOT NULL AND NOT silence_expired AND ended_at IS NOT NULL
ORDER BY suppression_id;
