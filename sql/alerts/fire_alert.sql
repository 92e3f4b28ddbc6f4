-- purpose: an episode's post was accepted by an Alertmanager (pending -> firing), or there is
--          no Alertmanager and it fires in AIlert only
-- grain:   one row of alerts
-- params:  $alert_id, $now, $sent (BOOLEAN: it was posted)
-- returns: nothing
UPDATE alerts
SET state = CASE WHEN state = 'pending' THEN 'firing' ELSE state END,
    first_sent_at = CASE WHEN $sent THEN coalesce(first_sent_at, $now) ELSE first_sent_at END,
    last_sent_at = CASE WHEN $sent THEN $now ELSE last_sent_at END,
    updated_at = $now
WHERE alert_id = $alert_id;
