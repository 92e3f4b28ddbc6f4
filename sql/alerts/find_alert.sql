-- purpose: resolve the ALERT argument of `ailert ack`: an alert id, or a pattern_hash / alert
--          key (its latest episode, open ones first)
-- grain:   zero or more rows, best first
-- params:  $ref (text)
-- returns: alert_id, alertname, state, source, pattern_hash
SELECT alert_id, alertname, state, source, pattern_hash
FROM alerts
WHERE CAST(alert_id AS VARCHAR) = $ref OR pattern_hash = $ref OR alert_key = $ref
ORDER BY (CAST(alert_id AS VARCHAR) = $ref) DESC, (state <> 'resolved') DESC, alert_id DESC;
