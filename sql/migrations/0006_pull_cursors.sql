-- purpose: state of the pull sources (loki, prometheus, sql, http) — one time cursor per
--          source — and per-bucket value statistics of metric series
-- grain:   see each object's COMMENT
-- params:  none
-- returns: nothing

CREATE TABLE pull_cursors (
    source      VARCHAR     PRIMARY KEY,
    type        VARCHAR     NOT NULL,
    cursor_ns   BIGINT      NOT NULL,
    cursor_at   TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE pull_cursors IS 'One row per pull source (loki, prometheus, sql, http): every record before cursor_ns is counted; the next tick reads [cursor, now - lag). Moved in the same transaction as the counts it covers.';
COMMENT ON COLUMN pull_cursors.cursor_ns IS 'Exclusive end of what is counted, in nanoseconds since 1970 UTC (exact: Loki timestamps are nanoseconds).';
COMMENT ON COLUMN pull_cursors.cursor_at IS 'cursor_ns as a timestamp (to the microsecond), for reading.';

CREATE TABLE metric_values (
    source      VARCHAR     NOT NULL,
    pattern_id  VARCHAR     NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    samples     BIGINT      NOT NULL,
    total       DOUBLE,
    min         DOUBLE,
    max         DOUBLE,
    last        DOUBLE,
    PRIMARY KEY (source, pattern_id, bucket)
);
COMMENT ON TABLE metric_values IS 'Sample values of each metric series (a prometheus source pattern) per bucket: count, sum, min, max and the latest value (NaN samples left out of the statistics).';

CREATE VIEW v_metric_values AS
SELECT v.source, v.pattern_id, p.template AS series, v.bucket, v.samples,
       v.total / nullif(v.samples, 0) AS mean, v.min, v.max, v.last
FROM metric_values AS v
JOIN patterns AS p USING (source, pattern_id);
COMMENT ON VIEW v_metric_values IS 'Values of every metric series per bucket (series = metric name and labels, the pattern template): a value shift shows here while the pattern counts stay flat.';
