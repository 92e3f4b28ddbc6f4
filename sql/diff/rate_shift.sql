-- purpose: rate_shift — patterns whose rate now differs from their baseline rate, up or down,
--          by at least $min_ratio and beyond chance (a count-aware Poisson likelihood ratio)
-- grain:   one row per (source, pattern_id) that shifted
-- params:  $start, $end, $baseline_start, $baseline_end (+ their count_rows cuts), $sources,
--          $min_count, $min_ratio, $score_min (each explained below)
-- returns: kind … last_seen (Finding's columns); rates are lines per minute
--
-- So a pattern going from 1 to 3 lines is not a "200% spike". Patterns first seen in the
-- window (patterns.first_seen >= $start) are left to new.sql, patterns absent from the window
-- to gone.sql.
-- params in full: $start, $end: the window, half-open;
--          $baseline_start, $baseline_end: the baseline,
--          half-open, any length (rates are scaled by duration); $start_hours, $start_days,
--          $end_days, $end_hours and $baseline_start_hours … $baseline_end_hours: where each
--          range is read at which resolution (ailert.diff.count_plan; the count_rows macro);
--          $sources: VARCHAR[], NULL = all;
--          $min_count: the larger of the window count and the expected count must reach it;
--          $min_ratio: window rate / baseline rate >= $min_ratio, or <= 1 / $min_ratio;
--          $score_min: the score must reach it (sqrt(2 ln(1 / alpha)))
-- returns in full: kind, pattern_id, source, level, template, sample, current_count,
--          baseline_count, current_rate, baseline_rate (lines per minute), score,
--          first_seen (the pattern's, all time), last_seen (latest bucket start with lines in
--          the window)
-- test:    likelihood ratio of two Poisson counts, window c and baseline b, with
--          k = window seconds / baseline seconds: given n = c + b, "no change" expects
--          e_c = n k / (1 + k) and e_b = n / (1 + k); G = 2 (c ln(c / e_c) + b ln(b / e_b)) and
--          score = sqrt(G). exp(-score^2 / 2) bounds the exact one-sided p-value of the
--          conditional binomial test (Chernoff), and equals it when one side is 0, so small
--          counts are never over-trusted. Counts are sums of count_rows (minute, hourly and
--          daily buckets, each read where the plan says; a bucket counts when it starts inside
--          its piece), so rolled-up periods count too. last_seen is at the resolution read.
WITH span AS (
    SELECT epoch($end) - epoch($start) AS win_s,
           epoch($baseline_end) - epoch($baseline_start) AS base_s
),
counts AS (
    SELECT source, pattern_id,
           coalesce(sum(n) FILTER (WHERE part = 'window'), 0) AS c,
           coalesce(sum(n) FILTER (WHERE part = 'baseline'), 0) AS b,
           max(bucket) FILTER (WHERE part = 'window' AND n > 0) AS last_bucket
    FROM (
        SELECT 'window' AS part, source, pattern_id, bucket, n
        FROM count_rows($start, $start_hours, $start_days, $end_days, $end_hours, $end, $sources)
        UNION ALL
        SELECT 'baseline' AS part, source, pattern_id, bucket, n
        FROM count_rows($baseline_start, $baseline_start_hours, $baseline_start_days,
                        $baseline_end_days, $baseline_end_hours, $baseline_end, $sources)
    )
    GROUP BY source, pattern_id
),
ratio AS (
    SELECT c.*, span.*, span.win_s / span.base_s AS k FROM counts AS c CROSS JOIN span
    WHERE c.c > 0
),
tested AS (
    SELECT *, k * b AS expected,
           sqrt(greatest(0, 2 * (
               c * ln(c / ((c + b) * k / (1 + k)))
               + CASE WHEN b > 0 THEN b * ln(b / ((c + b) / (1 + k))) ELSE 0 END))) AS score
    FROM ratio
)
SELECT 'rate_shift' AS kind, t.pattern_id, t.source, p.level, p.template, p.sample,
       t.c AS current_count, t.b AS baseline_count,
       t.c * 60.0 / t.win_s AS current_rate, t.b * 60.0 / t.base_s AS baseline_rate,
       t.score, p.first_seen, t.last_bucket AS last_seen
FROM tested AS t
LEFT JOIN patterns AS p USING (source, pattern_id)
WHERE greatest(t.c, t.expected) >= $min_count
  AND t.score >= $score_min
  AND (t.c >= $min_ratio * t.expected OR t.c * $min_ratio <= t.expected)
  AND coalesce(p.first_seen < $start, true)  -- first seen in the window: new.sql's
ORDER BY score DESC, t.source, t.pattern_id;
