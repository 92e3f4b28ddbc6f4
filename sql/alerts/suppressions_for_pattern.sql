-- purpose: the active suppressions of one pattern (optionally one scope) — what suppress
--          extends and unsuppress ends
-- grain:   one row per suppression
-- params:  $pattern_id, $source (NULL = any scope), $exact (BOOLEAN: match the scope exactly,
--          NULL source meaning the all-sources scope), $now
-- returns: every column of suppressions
SELECT *
FROM suppressions
WHERE pattern_id = $pattern_id
  AND ended_at IS NULL AND until > $now
  AND (CASE WHEN $exact THEN source IS NOT DISTINCT FROM $source
            ELSE $source IS NULL OR source IS NOT DISTINCT FROM $source END)
ORDER BY suppression_id;
