-- purpose: rollup tables for retention (minute buckets -> hours -> days) and v_counts, the one
--          view every diff query reads, whatever resolution a period is kept at
-- grain:   see each table's COMMENT
-- params:  none
-- returns: nothing

CREATE TABLE pattern_counts_hourly (
    source      VARCHAR   NOT NULL,
    pattern_id  VARCHAR   NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT    NOT NULL,
    PRIMARY KEY (source, pattern_id, bucket)
);
COMMENT ON TABLE pattern_counts_hourly IS 'Records per pattern per source per hour, for periods older than the minute retention.';

CREATE TABLE pattern_counts_daily (
    source      VARCHAR   NOT NULL,
    pattern_id  VARCHAR   NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT    NOT NULL,
    PRIMARY KEY (source, pattern_id, bucket)
);
COMMENT ON TABLE pattern_counts_daily IS 'Records per pattern per source per UTC day, for periods older than the hourly retention.';

CREATE VIEW v_counts AS
SELECT source, pattern_id, bucket, 'minute' AS resolution, n FROM pattern_counts
UNION ALL
SELECT source, pattern_id, bucket, 'hour' AS resolution, n FROM pattern_counts_hourly
UNION ALL
SELECT source, pattern_id, bucket, 'day' AS resolution, n FROM pattern_counts_daily;
COMMENT ON VIEW v_counts IS 'Counts per pattern per source per bucket at whatever resolution retention keeps the period (bucket = start of the minute (tick.bucket), hour or day). Sum n over a range for totals; rollups never change them.';
