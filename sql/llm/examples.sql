-- purpose: suppressions people made (not the judge), as examples for the judge's prompt
-- grain:   one row per suppression, newest first, at most $limit
-- params:  $limit
-- returns: template, source, reason
SELECT coalesce(p.template, '(unknown pattern)') AS template, s.source, s.reason
FROM suppressions AS s
LEFT JOIN (SELECT pattern_id, any_value(template) AS template FROM patterns GROUP BY pattern_id)
    AS p USING (pattern_id)
WHERE s.created_by NOT LIKE 'llm:%'
ORDER BY s.created_at DESC
LIMIT $limit;
