-- purpose: the pattern listing of `ailert patterns`
-- grain:   one row per (source, pattern)
-- params:  $source (NULL = all), $levels (list of levels, NULL = all), $since (NULL = all time;
--          else only patterns seen since then, counted since then)
-- returns: pattern_id, template, level, source, first_seen, last_seen, count, sample,
--          suppressed_until (end of an active suppression or Alertmanager silence, else NULL),
--          llm_verdict, llm_category, llm_reason (the LLM judge's cached verdict, if any)
WITH windowed AS (
    SELECT source, pattern_id, sum(n) AS n
    FROM pattern_counts
    WHERE $since IS NOT NULL AND bucket >= date_trunc('minute', $since::TIMESTAMPTZ)
    GROUP BY source, pattern_id
)
SELECT
    p.pattern_id,
    p.template,
    p.level,
    p.source,
    p.first_seen,
    p.last_seen,
    CAST(coalesce(w.n, p.total) AS BIGINT) AS count,
    p.sample,
    (
        SELECT max(s.until) FROM v_active_suppressions AS s
        WHERE s.pattern_id = p.pattern_id AND (s.source IS NULL OR s.source = p.source)
    ) AS suppressed_until,
    v.verdict AS llm_verdict,
    v.category AS llm_category,
    v.reason AS llm_reason
FROM patterns AS p
LEFT JOIN windowed AS w USING (source, pattern_id)
LEFT JOIN v_pattern_verdicts AS v USING (source, pattern_id)
WHERE ($source IS NULL OR p.source = $source)
  AND ($levels IS NULL OR list_contains($levels, p.level))
  AND ($since IS NULL OR p.last_seen >= $since::TIMESTAMPTZ)
ORDER BY p.last_seen DESC, count DESC, p.pattern_id;
