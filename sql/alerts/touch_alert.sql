-- purpose: a new-pattern alert's pattern logged more lines: it is still happening
-- grain:   one row of alerts
-- params:  $alert_id, $total (the pattern's total now), $now
-- returns: nothing
UPDATE alerts SET last_seen_at = $now, last_total = $total, updated_at = $now
WHERE alert_id = $alert_id;
