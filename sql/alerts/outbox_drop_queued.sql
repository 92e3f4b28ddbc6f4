-- purpose: drop the queued post of an alert episode to one Alertmanager (a newer one replaces it)
-- grain:   rows of outbox
-- params:  $alert_id, $url
-- returns: nothing
DELETE FROM outbox WHERE alert_id = $alert_id AND url = $url AND status = 'queued';
