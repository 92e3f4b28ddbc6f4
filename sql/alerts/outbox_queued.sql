-- purpose: what waits for one Alertmanager, oldest first (so a resolve goes before the next
--          episode of the same alert)
-- grain:   one row per queued post
-- params:  $url
-- returns: outbox_id, alert_id, payload, resolved, attempts
SELECT outbox_id, alert_id, payload, resolved, attempts
FROM outbox
WHERE url = $url AND status = 'queued'
ORDER BY outbox_id;
