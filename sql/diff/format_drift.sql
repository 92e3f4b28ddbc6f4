-- purpose: format_drift — a source whose lines stop fitting its mapping (mapping failures above
--          their baseline rate, beyond chance) or that shows a field never seen in it before
-- grain:   one row per source with more mapping failures, one row per (source, new field)
-- params:  $start, $end, $baseline_start, $baseline_end, $sources, $min_count, $min_ratio,
--          $score_min, $new_min_count (each explained below)
-- returns: kind … last_seen (Finding's columns); template 'mapping failures' or 'new field <f>'
--
-- params in full: $start, $end: the window, half-open;
--          $baseline_start, $baseline_end: the baseline,
--          half-open, any length (rates are scaled by duration); $sources: VARCHAR[], NULL =
--          all; $min_count: window failures needed; $min_ratio: failure rate now / baseline
--          failure rate; $score_min: rate_shift.sql's likelihood-ratio score must reach it;
--          $new_min_count: lines holding a new field
-- returns in full: kind, pattern_id (NULL), source, level (NULL), template ('mapping failures' or
--          'new field <name>'), sample (NULL, or the field name), current_count,
--          baseline_count (failures; for a new field its lines so far and 0), current_rate,
--          baseline_rate (failures per minute; NULL for a new field), score (failures: as
--          rate_shift; a new field: new.sql's score of its line count), first_seen, last_seen
--          (failing buckets in the window; the field's first and last batch)
-- note:    failures come from source_counts (minute buckets; it has no rollups, so a baseline
--          older than its retention counts as 0 failures). A field is only new in a source
--          that had other fields before the window (a source's first batch is not drift).
WITH span AS (
    SELECT epoch($end) - epoch($start) AS win_s,
           epoch($baseline_end) - epoch($baseline_start) AS base_s
),
failures AS (
    SELECT source,
           coalesce(sum(mapping_failures) FILTER (
               WHERE bucket >= $start AND bucket < $end), 0) AS c,
           coalesce(sum(mapping_failures) FILTER (
               WHERE bucket >= $baseline_start AND bucket < $baseline_end), 0) AS b,
           min(bucket) FILTER (
               WHERE bucket >= $start AND bucket < $end AND mapping_failures > 0) AS first_bucket,
           max(bucket) FILTER (
               WHERE bucket >= $start AND bucket < $end AND mapping_failures > 0) AS last_bucket
    FROM source_counts
    WHERE ((bucket >= $start AND bucket < $end)
           OR (bucket >= $baseline_start AND bucket < $baseline_end))
      AND ($sources IS NULL OR list_contains($sources, source))
    GROUP BY source
),
failures_ratio AS (
    SELECT f.*, span.*, span.win_s / span.base_s AS k FROM failures AS f CROSS JOIN span
    WHERE f.c > 0
),
failures_tested AS (
    SELECT *, k * b AS expected,
           sqrt(greatest(0, 2 * (
               c * ln(c / ((c + b) * k / (1 + k)))
               + CASE WHEN b > 0 THEN b * ln(b / ((c + b) / (1 + k))) ELSE 0 END))) AS score
    FROM failures_ratio
),
new_fields AS (
    SELECT f.source, f.field, f.n, f.first_seen, f.last_seen
    FROM source_fields AS f
    WHERE f.first_seen >= $start AND f.first_seen < $end AND f.n >= $new_min_count
      AND ($sources IS NULL OR list_contains($sources, f.source))
      AND EXISTS (
          SELECT 1 FROM source_fields AS g
          WHERE g.source = f.source AND g.first_seen < $start)
)
SELECT 'format_drift' AS kind, NULL AS pattern_id, source, NULL AS level,
       'mapping failures' AS template, NULL AS sample,
       c AS current_count, b AS baseline_count,
       c * 60.0 / win_s AS current_rate, b * 60.0 / base_s AS baseline_rate,
       score, first_bucket AS first_seen, last_bucket AS last_seen
FROM failures_tested
WHERE c >= $min_count AND score >= $score_min AND c >= $min_ratio * expected
UNION ALL
SELECT 'format_drift' AS kind, NULL AS pattern_id, source, NULL AS level,
       'new field ' || field AS template, field AS sample,
       n AS current_count, 0 AS baseline_count, NULL AS current_rate, NULL AS baseline_rate,
       sqrt(2 * n * ln(2)) AS score, first_seen, last_seen
FROM new_fields
ORDER BY score DESC, source, template;
