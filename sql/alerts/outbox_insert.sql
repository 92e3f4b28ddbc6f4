-- purpose: queue one post of an alert episode to one Alertmanager
-- grain:   one new row of outbox
-- params:  $alert_id, $url, $payload (JSON text), $resolved, $now
-- returns: nothing
INSERT INTO outbox (outbox_id, alert_id, url, payload, resolved, status, enqueued_at)
VALUES (nextval('outbox_ids'), $alert_id, $url, $payload, $resolved, 'queued', $now);
