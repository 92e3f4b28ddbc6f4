-- purpose: mark a suppression's silence as expired in Alertmanager (nothing left to do)
-- grain:   one row of suppressions
-- params:  $suppression_id, $now
-- returns: nothing
UPDATE suppressions SET silence_expired = true, updated_at = $now
WHERE suppression_id = $suppression_id;
