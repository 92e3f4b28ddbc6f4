-- purpose: per-source learning/training state, stored findings, and the analysts' views
-- grain:   see each object's COMMENT
-- params:  none
-- returns: nothing

CREATE TABLE source_state (
    source         VARCHAR PRIMARY KEY,
    learned_until  TIMESTAMPTZ,
    trained_from   TIMESTAMPTZ,
    trained_until  TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE source_state IS 'One row per source. learned_until: patterns first seen before it were learned (first tick or train), not new. trained_from/until: the range `ailert train` backfilled; ticks skip records older than trained_until.';

CREATE TABLE findings (
    finding_id     BIGINT PRIMARY KEY,
    detected_at    TIMESTAMPTZ NOT NULL,
    window_start   TIMESTAMPTZ NOT NULL,
    window_end     TIMESTAMPTZ NOT NULL,
    baseline_start TIMESTAMPTZ NOT NULL,
    baseline_end   TIMESTAMPTZ NOT NULL,
    kind           VARCHAR NOT NULL,
    pattern_id     VARCHAR,
    source         VARCHAR,
    level          VARCHAR,
    template       VARCHAR,
    sample         VARCHAR,
    current_count  DOUBLE,
    baseline_count DOUBLE,
    current_rate   DOUBLE,
    baseline_rate  DOUBLE,
    score          DOUBLE,
    first_seen     TIMESTAMPTZ,
    last_seen      TIMESTAMPTZ
);
CREATE SEQUENCE finding_ids START 1;
COMMENT ON TABLE findings IS 'What each tick''s change detection found (one row per finding per tick): new, gone, rate_shift, level_drift, format_drift.';

CREATE VIEW v_pattern_timeline AS
SELECT c.source, c.pattern_id, p.level, p.template, c.bucket, c.resolution, c.n
FROM v_counts AS c
JOIN patterns AS p USING (source, pattern_id);
COMMENT ON VIEW v_pattern_timeline IS 'Counts of every pattern per bucket, with its level and template, at whatever resolution retention keeps (minute, hour, day).';
COMMENT ON COLUMN v_pattern_timeline.bucket IS 'Start of the bucket (UTC).';
COMMENT ON COLUMN v_pattern_timeline.resolution IS 'minute (tick.bucket), hour or day.';
COMMENT ON COLUMN v_pattern_timeline.n IS 'Records of this pattern in this bucket.';

CREATE VIEW v_new_patterns AS
SELECT p.source, p.pattern_id, p.level, p.template, p.first_seen, p.last_seen, p.total, p.sample,
       s.learned_until IS NOT NULL AND p.first_seen >= s.learned_until AS is_new
FROM patterns AS p
LEFT JOIN source_state AS s USING (source)
ORDER BY p.first_seen DESC;
COMMENT ON VIEW v_new_patterns IS 'Patterns by when they first appeared, newest first. is_new: appeared after the source''s learning period (false for what the first tick or a train learned).';
COMMENT ON COLUMN v_new_patterns.first_seen IS 'Timestamp of the earliest record of the pattern (UTC).';

CREATE VIEW v_findings AS
SELECT finding_id, detected_at, kind, source, level, pattern_id, template, sample,
       current_count, baseline_count, current_rate, baseline_rate, score,
       window_start, window_end, baseline_start, baseline_end, first_seen, last_seen
FROM findings
ORDER BY detected_at DESC, score DESC;
COMMENT ON VIEW v_findings IS 'Findings of the ticks'' change detection, most recent first, strongest first.';
COMMENT ON COLUMN v_findings.score IS 'Strength of the finding: higher is more surprising (for rate shifts, a Poisson z-like score).';
