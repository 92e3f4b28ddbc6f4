-- purpose: new — patterns first seen inside the window, never before it (in no count bucket,
--          minute, hourly or daily, that ended before the window) and not learned
-- grain:   one row per (source, pattern_id)
-- params:  $start, $end (+ their count_rows cuts), $history_start … $history_end, $sources,
--          $new_min_count (each explained below)
-- returns: kind … last_seen (Finding's columns); baseline_count 0, rates are lines per minute
--
-- params in full: $start, $end: the window, half-open; $start_hours, $start_days, $end_days,
--          $end_hours: where the window is read at which resolution (ailert.diff.count_plan;
--          the count_rows macro); $history_start, $history_start_hours, $history_start_days,
--          $history_end_days, $history_end_hours, $history_end: the same for all time before the
--          window ($history_end = $start); $sources: VARCHAR[], NULL = all; $new_min_count:
--          window lines needed (1 reports every new pattern)
-- Not learned: a pattern first seen before its source's source_state.learned_until (what the
-- first tick or `ailert train` read) is known, not new. The baseline plays no part: "never
-- before" means never, however long ago.
-- returns in full: kind, pattern_id, source, level, template, sample, current_count, baseline_count
--          (0), current_rate, baseline_rate (0; lines per minute), score, first_seen,
--          last_seen (latest bucket start with lines in the window)
-- score:   sqrt(2 c ln 2), rate_shift's score of the window count c against an empty baseline
--          of the same length (so scores of all kinds compare)
WITH fresh AS (
    SELECT p.* FROM patterns AS p
    LEFT JOIN source_state AS s USING (source)
    WHERE p.first_seen >= $start AND p.first_seen < $end
      AND (s.learned_until IS NULL OR p.first_seen >= s.learned_until)
      AND ($sources IS NULL OR list_contains($sources, p.source))
),
seen_earlier AS (
    SELECT DISTINCT v.source, v.pattern_id
    FROM count_rows($history_start, $history_start_hours, $history_start_days,
                    $history_end_days, $history_end_hours, $history_end, $sources) AS v
    SEMI JOIN fresh USING (source, pattern_id)
    WHERE v.n > 0
      AND v.bucket + CASE v.resolution WHEN 'day' THEN INTERVAL 1 DAY
                                       WHEN 'hour' THEN INTERVAL 1 HOUR
                                       ELSE INTERVAL 0 SECOND END <= $start
),
in_window AS (
    SELECT v.source, v.pattern_id, sum(v.n) AS c, max(v.bucket) AS last_bucket
    FROM count_rows($start, $start_hours, $start_days, $end_days, $end_hours, $end, $sources) AS v
    SEMI JOIN fresh USING (source, pattern_id)
    GROUP BY v.source, v.pattern_id
)
SELECT 'new' AS kind, f.pattern_id, f.source, f.level, f.template, f.sample,
       coalesce(w.c, 0) AS current_count, 0 AS baseline_count,
       coalesce(w.c, 0) * 60.0 / (epoch($end) - epoch($start)) AS current_rate,
       0.0 AS baseline_rate,
       sqrt(2 * coalesce(w.c, 0) * ln(2)) AS score,
       f.first_seen, w.last_bucket AS last_seen
FROM fresh AS f
ANTI JOIN seen_earlier USING (source, pattern_id)
LEFT JOIN in_window AS w USING (source, pattern_id)
WHERE coalesce(w.c, 0) >= $new_min_count
ORDER BY score DESC, f.source, f.pattern_id;
