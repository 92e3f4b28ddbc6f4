-- purpose: gone — patterns steady in the baseline (enough lines, in most of its slices) and
--          absent from the whole window, beyond chance; a rare pattern absent now is not gone
-- grain:   one row per (source, pattern_id)
-- params:  $start, $end, $baseline_start, $baseline_end (+ their count_rows cuts), $sources,
--          $gone_min_count, $gone_slices, $gone_coverage, $score_min (each explained below)
-- returns: kind … last_seen (Finding's columns); current_count 0, rates are lines per minute
--
-- params in full: $start, $end: the window, half-open;
--          $baseline_start, $baseline_end: the baseline,
--          half-open, any length; $start_hours … $end_hours and $baseline_start_hours …
--          $baseline_end_hours: the count_rows cuts of each range (ailert.diff.count_plan; the
--          baseline's never let a coarse bucket straddle a slice boundary where finer buckets
--          exist); $sources: VARCHAR[], NULL = all; $gone_min_count: baseline
--          lines needed; $gone_slices: the baseline is cut into this many equal slices (at
--          most 126: the slices a pattern covers are the bits of a HUGEINT);
--          $gone_coverage: share of slices holding the pattern (e.g. 0.8); $score_min: the score
--          of 0 window lines against the baseline count must reach it
-- returns in full: kind, pattern_id, source, level, template, sample, current_count (0),
--          baseline_count, current_rate (0), baseline_rate (lines per minute), score,
--          first_seen (the pattern's, all time), last_seen (the pattern's last line when that
--          is before the window, else the latest baseline bucket start)
-- slices:  a count bucket covers every slice it overlaps (an hourly or daily rollup bucket can
--          cover several); minute buckets are taken as instants
-- test:    with k = window seconds / baseline seconds and none of the b lines in the window,
--          score = sqrt(2 b ln(1 + k)): exp(-score^2 / 2) = (1 + k)^-b is the exact p-value
WITH span AS (
    SELECT epoch($end) - epoch($start) AS win_s,
           epoch($baseline_end) - epoch($baseline_start) AS base_s,
           (epoch($baseline_end) - epoch($baseline_start)) / $gone_slices AS slice_s
),
baseline_rows AS (
    SELECT source, pattern_id, bucket, n, floor(lo)::BIGINT AS first_slice,
           least(greatest(ceil(hi)::BIGINT, floor(lo)::BIGINT + 1), $gone_slices) AS end_slice
    FROM (
        SELECT v.source, v.pattern_id, v.bucket, v.n,
               (epoch(v.bucket) - epoch($baseline_start)) / span.slice_s AS lo,
               (epoch(v.bucket) + CASE v.resolution WHEN 'day' THEN 86400 WHEN 'hour' THEN 3600
                                                    ELSE 0 END
                - epoch($baseline_start)) / span.slice_s AS hi
        FROM count_rows($baseline_start, $baseline_start_hours, $baseline_start_days,
                        $baseline_end_days, $baseline_end_hours, $baseline_end, $sources) AS v
        CROSS JOIN span
        WHERE v.n > 0
    )
),
baseline AS (  -- covered: the slices [first_slice, end_slice) of every row, as bits
    SELECT source, pattern_id, sum(n) AS b, max(bucket) AS last_bucket,
           bit_count(bit_or((1::HUGEINT << end_slice) - (1::HUGEINT << first_slice))) AS covered
    FROM baseline_rows GROUP BY source, pattern_id
),
current AS (
    SELECT DISTINCT source, pattern_id
    FROM count_rows($start, $start_hours, $start_days, $end_days, $end_hours, $end, $sources)
    WHERE n > 0
),
tested AS (
    SELECT b.*, span.*, sqrt(2 * b.b * ln(1 + span.win_s / span.base_s)) AS score
    FROM baseline AS b
    CROSS JOIN span
    ANTI JOIN current USING (source, pattern_id)
)
SELECT 'gone' AS kind, t.pattern_id, t.source, p.level, p.template, p.sample,
       0 AS current_count, t.b AS baseline_count,
       0.0 AS current_rate, t.b * 60.0 / t.base_s AS baseline_rate,
       t.score, p.first_seen,
       CASE WHEN p.last_seen < $start THEN p.last_seen ELSE t.last_bucket END AS last_seen
FROM tested AS t
LEFT JOIN patterns AS p USING (source, pattern_id)
WHERE t.b >= $gone_min_count
  AND t.covered >= $gone_coverage * $gone_slices
  AND t.score >= $score_min
ORDER BY score DESC, t.source, t.pattern_id;
