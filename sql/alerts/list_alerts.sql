-- purpose: the listing of `ailert alerts`
-- grain:   one row per alert episode
-- params:  $state ('firing' = pending or firing, 'resolved', or 'all'), $limit (0 = all)
-- returns: alert_id, alertname, state, severity, source, pattern_hash, level, template, sample,
--          description, count, score, starts_at, ends_at, last_seen_at, last_sent_at,
--          suppressed, muted, escalated, acked_by, acked_at
SELECT a.alert_id, a.alertname, a.state, a.severity, a.source, a.pattern_hash, a.level,
       a.template, a.sample, a.description, a.count, a.score, a.starts_at, a.ends_at,
       a.last_seen_at, a.last_sent_at, a.suppressed, a.muted, a.escalated,
       k.acked_by, k.acked_at
FROM alerts AS a
LEFT JOIN (
    SELECT alert_id, arg_max(acked_by, acked_at) AS acked_by, max(acked_at) AS acked_at
    FROM acks GROUP BY alert_id
) AS k USING (alert_id)
WHERE $state = 'all'
   OR ($state = 'resolved' AND a.state = 'resolved')
   OR ($state = 'firing' AND a.state <> 'resolved')
ORDER BY a.starts_at DESC, a.alert_id DESC
LIMIT CASE WHEN $limit > 0 THEN $limit ELSE NULL END;
