-- purpose: resolve an episode: its condition has not held for the quiet period
-- grain:   one row of alerts
-- params:  $alert_id, $ends_at, $now
-- returns: nothing
UPDATE alerts SET state = 'resolved', ends_at = $ends_at, updated_at = $now
WHERE alert_id = $alert_id;
