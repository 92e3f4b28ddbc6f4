-- purpose: the judge's latest verdicts since $since on patterns not suppressed now, for
--          suggestions (suppress what it calls noise but did not suppress; always alert on what
--          it would escalate)
-- grain:   one row per (pattern, source)
-- params:  $since, $now
-- returns: pattern_id, source, verdict, confidence, category, reason, model, level, template
SELECT v.pattern_id, v.source, v.verdict, v.confidence, v.category, v.reason, v.model,
       p.level, p.template
FROM v_pattern_verdicts AS v
JOIN patterns AS p USING (pattern_id, source)
WHERE v.judged_at >= $since AND NOT v.auto_suppressed
  AND v.verdict IN ('suppress', 'escalate')
  AND NOT EXISTS (SELECT 1 FROM suppressions AS s
                  WHERE s.pattern_id = v.pattern_id AND (s.source IS NULL OR s.source = v.source)
                    AND s.ended_at IS NULL AND s.until > $now)
ORDER BY v.confidence DESC, v.pattern_id;
