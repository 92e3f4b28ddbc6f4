-- purpose: level_drift — a source whose share of error (error + fatal) or of warn records moves
--          outside its baseline band: by >= $level_band and beyond chance (likelihood ratio)
-- grain:   one row per (source, level group); level is 'error' (error + fatal) or 'warn'
-- params:  $start, $end, $baseline_start, $baseline_end (+ their count_rows cuts), $sources,
--          $level_band, $level_min_total, $min_count, $score_min (each explained below)
-- returns: kind … last_seen (Finding's columns); the rate columns hold SHARES (0..1)
--
-- params in full: $start, $end: the window, half-open;
--          $baseline_start, $baseline_end: the baseline,
--          half-open, any length (shares need no scaling); $start_hours … $end_hours and
--          $baseline_start_hours … $baseline_end_hours: the count_rows cuts of each range
--          (ailert.diff.count_plan); $sources: VARCHAR[], NULL = all;
--          $level_band: minimum |share now - share before| (0.05 = 5 points); $level_min_total:
--          records the source needs in the window and in the baseline; $min_count: the larger of
--          the group's window count and the count its baseline share predicts must reach it;
--          $score_min: the score must reach it
-- returns in full: kind, pattern_id (NULL), source, level, template (NULL), sample (NULL),
--          current_count, baseline_count (records of the level group), current_rate and
--          baseline_rate = the SHARES of the group among the source's records (0..1), not rates,
--          score, first_seen, last_seen (NULL)
-- test:    G = 2 sum(O ln(O / E)) over the four cells (E from the margins), score = sqrt(G), as
--          rate_shift's. A pattern's level is patterns.level; records come from count_rows
--          (minute, hourly and daily buckets as planned), so rolled-up periods count.
WITH per_level AS (
    SELECT v.source,
           CASE WHEN p.level IN ('error', 'fatal') THEN 'error'
                WHEN p.level = 'warn' THEN 'warn' ELSE 'other' END AS grp,
           coalesce(sum(v.n) FILTER (WHERE v.part = 'window'), 0) AS c,
           coalesce(sum(v.n) FILTER (WHERE v.part = 'baseline'), 0) AS b
    FROM (
        SELECT 'window' AS part, source, pattern_id, n
        FROM count_rows($start, $start_hours, $start_days, $end_days, $end_hours, $end, $sources)
        UNION ALL
        SELECT 'baseline' AS part, source, pattern_id, n
        FROM count_rows($baseline_start, $baseline_start_hours, $baseline_start_days,
                        $baseline_end_days, $baseline_end_hours, $baseline_end, $sources)
    ) AS v
    LEFT JOIN patterns AS p USING (source, pattern_id)
    GROUP BY ALL
),
totals AS (
    SELECT source, sum(c) AS n1, sum(b) AS n0 FROM per_level GROUP BY source
),
groups AS (
    SELECT t.source, x.grp, coalesce(l.c, 0) AS c, coalesce(l.b, 0) AS b, t.n1, t.n0
    FROM totals AS t
    CROSS JOIN (VALUES ('error'), ('warn')) AS x(grp)
    LEFT JOIN per_level AS l ON l.source = t.source AND l.grp = x.grp
),
cells AS (  -- observed and expected (from the margins) counts of the 2x2 table
    SELECT *, c / n1 AS p1, b / n0 AS p0,
           n1 - c AS c_rest, n0 - b AS b_rest,
           (c + b) * n1 / (n1 + n0) AS e_c, (c + b) * n0 / (n1 + n0) AS e_b,
           (n1 + n0 - c - b) * n1 / (n1 + n0) AS e_c_rest,
           (n1 + n0 - c - b) * n0 / (n1 + n0) AS e_b_rest
    FROM groups
    WHERE n1 >= $level_min_total AND n0 >= $level_min_total
),
tested AS (
    SELECT *, sqrt(greatest(0, 2 * (
               CASE WHEN c > 0 THEN c * ln(c / e_c) ELSE 0 END
               + CASE WHEN b > 0 THEN b * ln(b / e_b) ELSE 0 END
               + CASE WHEN c_rest > 0 THEN c_rest * ln(c_rest / e_c_rest) ELSE 0 END
               + CASE WHEN b_rest > 0 THEN b_rest * ln(b_rest / e_b_rest) ELSE 0 END))) AS score
    FROM cells
)
SELECT 'level_drift' AS kind, NULL AS pattern_id, source, grp AS level,
       NULL AS template, NULL AS sample,
       c AS current_count, b AS baseline_count, p1 AS current_rate, p0 AS baseline_rate,
       score, NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen
FROM tested
WHERE abs(p1 - p0) >= $level_band
  AND score >= $score_min
  AND greatest(c, p0 * n1) >= $min_count
ORDER BY score DESC, source, level;
