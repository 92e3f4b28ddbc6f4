-- purpose: patterns people keep suppressing by hand (a long suppression is suggested)
-- grain:   one row per (pattern, source scope) with at least $min_count suppressions by people
--          created since $since
-- params:  $since, $min_count
-- returns: pattern_id, source, suppressions, alerts, last_reason, template, level
SELECT s.pattern_id, s.source, count(*) AS suppressions,
       (SELECT count(*) FROM alerts AS a WHERE a.pattern_hash = s.pattern_id
          AND (s.source IS NULL OR a.source = s.source)) AS alerts,
       arg_max(s.reason, s.created_at) AS last_reason,
       any_value(p.template) AS template, any_value(p.level) AS level
FROM suppressions AS s
LEFT JOIN patterns AS p
  ON p.pattern_id = s.pattern_id AND (s.source IS NULL OR p.source = s.source)
WHERE s.created_by NOT LIKE 'llm:%' AND s.created_at >= $since
GROUP BY s.pattern_id, s.source
HAVING count(*) >= $min_count
ORDER BY suppressions DESC, s.pattern_id;
