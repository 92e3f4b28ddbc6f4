-- purpose: keep up to $max_samples distinct example messages per pattern
-- grain:   one row per kept sample
-- params:  $source, $max_samples; reads the registered frame batch_samples (pattern_id, ts, message)
-- returns: nothing
INSERT INTO pattern_samples (source, pattern_id, ts, message)
SELECT $source, b.pattern_id, b.ts, b.message
FROM batch_samples AS b
LEFT JOIN (
    SELECT pattern_id, count(*) AS kept
    FROM pattern_samples WHERE source = $source GROUP BY pattern_id
) AS k USING (pattern_id)
WHERE coalesce(k.kept, 0) < $max_samples
  AND NOT EXISTS (
      SELECT 1 FROM pattern_samples AS s
      WHERE s.source = $source AND s.pattern_id = b.pattern_id AND s.message = b.message
  );
