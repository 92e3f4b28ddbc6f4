-- purpose: apply or reject a rule: who, when, why
-- grain:   one row of rules
-- params:  $rule_id, $status ('applied' | 'rejected'), $by, $reason, $suppression_id, $now
-- returns: nothing
UPDATE rules
SET status = $status, decided_by = $by, decided_at = $now, decision_reason = $reason,
    suppression_id = coalesce($suppression_id, suppression_id)
WHERE rule_id = $rule_id;
