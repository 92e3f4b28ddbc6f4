-- purpose: remember the Alertmanager silence mirroring a suppression (NULL: to be (re)created)
-- grain:   one row of suppressions
-- params:  $suppression_id, $silence_id, $silence_wanted, $now
-- returns: nothing
UPDATE suppressions
SET silence_id = $silence_id, silence_wanted = $silence_wanted, silence_expired = false,
    updated_at = $now
WHERE suppression_id = $suppression_id;
