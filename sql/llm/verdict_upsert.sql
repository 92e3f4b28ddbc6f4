-- purpose: store (or replace) the judge's verdict on one pattern of one source
-- grain:   one row of llm_verdicts
-- params:  $pattern_id, $source, $prompt_version, $model, $verdict, $confidence, $category,
--          $reason, $alone, $call_id, $now
-- returns: nothing
INSERT OR REPLACE INTO llm_verdicts (
    pattern_id, source, prompt_version, model, verdict, confidence, category, reason, alone,
    call_id, judged_at, applied_at, suppression_id
)
VALUES (
    $pattern_id, $source, $prompt_version, $model, $verdict, $confidence, $category, $reason,
    $alone, $call_id, $now, NULL, NULL
);
