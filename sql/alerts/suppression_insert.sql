-- purpose: record a suppression (from ailert suppress / serve, or a silence read back)
-- grain:   one new row of suppressions
-- params:  $pattern_id, $source, $reason, $created_by, $now, $starts_at, $until,
--          $escalation_factor, $origin, $silence_wanted, $silence_id
-- returns: suppression_id
INSERT INTO suppressions (
    suppression_id, pattern_id, source, reason, created_by, created_at, starts_at, until,
    escalation_factor, origin, silence_wanted, silence_id, updated_at
)
VALUES (
    nextval('suppression_ids'), $pattern_id, $source, $reason, $created_by, $now, $starts_at,
    $until, $escalation_factor, $origin, $silence_wanted, $silence_id, $now
)
RETURNING suppression_id;
