-- purpose: extend or change an active suppression (suppress again, or a silence edited in the
--          Alertmanager UI)
-- grain:   one row of suppressions
-- params:  $suppression_id, $until, $reason (NULL keeps it), $now
-- returns: nothing
UPDATE suppressions
SET until = $until, reason = coalesce($reason, reason), updated_at = $now
WHERE suppression_id = $suppression_id;
