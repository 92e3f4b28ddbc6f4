-- purpose: record a suggested rule; proposing it again refreshes its evidence while it is still
--          proposed (an applied or rejected rule keeps its decision)
-- grain:   one row of rules
-- params:  $rule_id, $kind, $source, $pattern_id, $template, $spec, $evidence, $origin,
--          $confidence, $proposed_by, $now
-- returns: nothing
INSERT INTO rules (
    rule_id, kind, source, pattern_id, template, spec, evidence, origin, confidence, status,
    proposed_by, proposed_at, last_proposed_at
)
VALUES (
    $rule_id, $kind, $source, $pattern_id, $template, $spec, $evidence, $origin, $confidence,
    'proposed', $proposed_by, $now, $now
)
ON CONFLICT (rule_id) DO UPDATE
SET evidence = excluded.evidence, confidence = excluded.confidence,
    last_proposed_at = excluded.last_proposed_at
WHERE rules.status = 'proposed';
