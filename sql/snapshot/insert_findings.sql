-- purpose: keep what a tick's change detection found (v_findings reads it)
-- grain:   one row per finding per tick
-- params:  none; reads the registered frame batch_findings (the Finding fields plus
--          detected_at, window_start/end, baseline_start/end)
-- returns: nothing
INSERT INTO findings (
    finding_id, detected_at, window_start, window_end, baseline_start, baseline_end, kind,
    pattern_id, source, level, template, sample, current_count, baseline_count, current_rate,
    baseline_rate, score, first_seen, last_seen
)
SELECT nextval('finding_ids'), detected_at, window_start, window_end, baseline_start,
       baseline_end, kind, pattern_id, source, level, template, sample, current_count,
       baseline_count, current_rate, baseline_rate, score, first_seen, last_seen
FROM batch_findings;
