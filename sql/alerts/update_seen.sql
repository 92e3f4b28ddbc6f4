-- purpose: the finding of an open episode was reported again: refresh what it shows
-- grain:   one row of alerts
-- params:  $alert_id, $level, $severity, $rule, $template, $sample, $description, $count,
--          $score, $now
-- returns: nothing
UPDATE alerts
SET level = $level, severity = $severity, rule = $rule, template = $template,
    sample = $sample, description = $description, count = $count, score = $score,
    last_seen_at = $now,
    last_total = (SELECT total FROM patterns AS p
                  WHERE p.source = alerts.source AND p.pattern_id = alerts.pattern_hash),
    updated_at = $now
WHERE alert_id = $alert_id;
