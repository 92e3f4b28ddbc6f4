-- purpose: record that the policy acted on a verdict (an automatic suppression)
-- grain:   one row of llm_verdicts
-- params:  $pattern_id, $source, $prompt_version, $model, $suppression_id, $now
-- returns: nothing
UPDATE llm_verdicts
SET applied_at = $now, suppression_id = $suppression_id
WHERE pattern_id = $pattern_id AND source = $source
  AND prompt_version = $prompt_version AND model = $model;
