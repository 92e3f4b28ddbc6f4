-- purpose: open a new alert episode (a finding matched a rule and no episode of its key is open)
-- grain:   one new row of alerts
-- params:  $alert_key, $alertname, $kind, $pattern_hash, $source, $level, $severity, $escalated,
--          $rule, $template, $sample, $description, $count, $score, $pattern_first_seen,
--          $state, $suppressed, $muted, $now
-- returns: alert_id
INSERT INTO alerts (
    alert_id, alert_key, alertname, kind, pattern_hash, source, level, severity, escalated,
    rule, template, sample, description, count, score, pattern_first_seen, state, suppressed,
    muted, starts_at, last_seen_at, last_total, created_at, updated_at
)
VALUES (
    nextval('alert_ids'), $alert_key, $alertname, $kind, $pattern_hash, $source, $level,
    $severity, $escalated, $rule, $template, $sample, $description, $count, $score,
    $pattern_first_seen, $state, $suppressed, $muted, $now, $now,
    (SELECT total FROM patterns WHERE source = $source AND pattern_id = $pattern_hash),
    $now, $now
)
RETURNING alert_id;
