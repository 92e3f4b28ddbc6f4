-- purpose: end a suppression (ailert unsuppress, or its silence expired in Alertmanager);
--          $silence_expired says whether its silence needs no expiring any more
-- grain:   one row of suppressions
-- params:  $suppression_id, $ended_by, $now, $silence_expired
-- returns: nothing
UPDATE suppressions
SET ended_at = $now, ended_by = $ended_by, silence_expired = silence_expired OR $silence_expired,
    updated_at = $now
WHERE suppression_id = $suppression_id;
