-- purpose: show the judge's verdict (or "not judged") on the open alerts of a pattern
-- grain:   the open, non-escalated alert episodes of one (pattern, source)
-- params:  $pattern_id, $source, $verdict, $confidence, $category, $reason, $now
-- returns: nothing
UPDATE alerts
SET llm_verdict = $verdict, llm_confidence = $confidence, llm_category = $category,
    llm_reason = $reason, updated_at = $now
WHERE state <> 'resolved' AND NOT escalated
  AND pattern_hash = $pattern_id AND source = $source;
