-- purpose: record whether a suppression covers an open episode, and whether it is muted
--          (suppressed without an Alertmanager silence: not posted)
-- grain:   one row of alerts
-- params:  $alert_id, $suppressed, $muted, $now
-- returns: nothing
UPDATE alerts SET suppressed = $suppressed, muted = $muted, updated_at = $now
WHERE alert_id = $alert_id AND (suppressed <> $suppressed OR muted <> $muted);
