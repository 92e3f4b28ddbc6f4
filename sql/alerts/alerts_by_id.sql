-- purpose: alert episodes by id (the ones a tick just resolved, to queue their resolve)
-- grain:   one row per alert episode
-- params:  $ids (BIGINT[])
-- returns: every column of alerts
SELECT * FROM alerts WHERE list_contains($ids, alert_id) ORDER BY alert_id;
