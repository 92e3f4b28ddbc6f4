-- purpose: cheaper, pre-aggregated count storage: no PRIMARY KEY on the count tables, hourly
--          and daily counts complete for every period, count_coverage, v_counts, count_rows()
-- grain:   see each object's COMMENT
-- params:  none
-- returns: nothing
--
-- The three count tables lose their PRIMARY KEY (an ART index cost ~90 bytes a row; ticks now
-- MERGE into them, which finds a batch's rows through the bucket zone maps). The hourly and
-- daily tables are kept complete for every period (each batch adds to all three), so long diff
-- windows read few rows; count_coverage says from when each resolution is complete; v_counts
-- becomes a non-overlapping "best available" union over it; count_rows() is the table macro
-- the diff queries read counts through.
--
-- Existing stores: minute rows are kept; the hourly table gains the hours of the minute rows,
-- the daily table the days of every hour. Before this migration a period was kept at exactly
-- one resolution, so minutes are complete from the hour after the newest hourly row, hours from
-- the day after the newest daily row (NULL = complete for all time).

CREATE TABLE count_coverage (
    resolution     VARCHAR PRIMARY KEY,
    complete_from  TIMESTAMPTZ
);
INSERT INTO count_coverage
WITH old AS (
    SELECT (SELECT max(bucket) + INTERVAL 1 HOUR FROM pattern_counts_hourly) AS hour_after,
           (SELECT max(bucket) + INTERVAL 1 DAY FROM pattern_counts_daily) AS day_after
)
SELECT 'minute', greatest(hour_after, day_after) FROM old
UNION ALL SELECT 'hour', day_after FROM old
UNION ALL SELECT 'day', NULL;
COMMENT ON TABLE count_coverage IS 'From when each count resolution (minute = tick.bucket, hour, day) holds every record: buckets starting at or after complete_from are complete; NULL = complete for all time. Retention moves it forward (minute: retention.minute, hour: retention.hour) before deleting older rows; days are kept for ever.';

CREATE TABLE pattern_counts_new (
    source      VARCHAR     NOT NULL,
    pattern_id  VARCHAR     NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT      NOT NULL
);
INSERT INTO pattern_counts_new
SELECT source, pattern_id, bucket, n FROM pattern_counts ORDER BY bucket, source, pattern_id;

CREATE TABLE pattern_counts_hourly_new (
    source      VARCHAR     NOT NULL,
    pattern_id  VARCHAR     NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT      NOT NULL
);
INSERT INTO pattern_counts_hourly_new
SELECT source, pattern_id, bucket, sum(n)::BIGINT FROM (
    SELECT source, pattern_id, bucket, n FROM pattern_counts_hourly
    UNION ALL
    SELECT source, pattern_id, date_trunc('hour', bucket), n FROM pattern_counts
)
GROUP BY ALL ORDER BY bucket, source, pattern_id;

CREATE TABLE pattern_counts_daily_new (
    source      VARCHAR     NOT NULL,
    pattern_id  VARCHAR     NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT      NOT NULL
);
INSERT INTO pattern_counts_daily_new
SELECT source, pattern_id, bucket, sum(n)::BIGINT FROM (
    SELECT source, pattern_id, bucket, n FROM pattern_counts_daily
    UNION ALL
    SELECT source, pattern_id, date_trunc('day', bucket), n FROM pattern_counts_hourly_new
)
GROUP BY ALL ORDER BY bucket, source, pattern_id;

DROP TABLE pattern_counts;
DROP TABLE pattern_counts_hourly;
DROP TABLE pattern_counts_daily;
ALTER TABLE pattern_counts_new RENAME TO pattern_counts;
ALTER TABLE pattern_counts_hourly_new RENAME TO pattern_counts_hourly;
ALTER TABLE pattern_counts_daily_new RENAME TO pattern_counts_daily;

COMMENT ON TABLE pattern_counts IS 'Records per pattern per source per time bucket (bucket = start of the tick.bucket interval holding the record ts), complete from count_coverage.complete_from of minute (retention.minute). One row per (source, pattern_id, bucket), kept unique by the ticks'' MERGE (no index); sum n over a range for totals.';
COMMENT ON TABLE pattern_counts_hourly IS 'Records per pattern per source per hour (bucket = start of the hour), for every period: each tick adds to it, complete from count_coverage.complete_from of hour (retention.hour). One row per (source, pattern_id, bucket).';
COMMENT ON TABLE pattern_counts_daily IS 'Records per pattern per source per UTC day (bucket = midnight), for every period since the store began: each tick adds to it, never deleted. One row per (source, pattern_id, bucket).';

CREATE OR REPLACE VIEW v_counts AS
WITH cov AS (
    SELECT max(complete_from) FILTER (WHERE resolution = 'minute') AS minute_from,
           max(complete_from) FILTER (WHERE resolution = 'hour') AS hour_from
    FROM count_coverage
)
SELECT c.source, c.pattern_id, c.bucket, 'minute' AS resolution, c.n
FROM pattern_counts AS c, cov
WHERE cov.minute_from IS NULL OR c.bucket >= cov.minute_from
UNION ALL
SELECT h.source, h.pattern_id, h.bucket, 'hour' AS resolution, h.n
FROM pattern_counts_hourly AS h, cov
WHERE h.bucket < cov.minute_from AND (cov.hour_from IS NULL OR h.bucket >= cov.hour_from)
UNION ALL
SELECT d.source, d.pattern_id, d.bucket, 'day' AS resolution, d.n
FROM pattern_counts_daily AS d, cov
WHERE d.bucket < cov.hour_from AND d.bucket < cov.minute_from;
COMMENT ON VIEW v_counts IS 'Counts per pattern per source per bucket at the finest resolution that is complete for the period, without overlap: minute buckets (tick.bucket) from count_coverage''s minute complete_from on, hours before that, days before the hour complete_from (resolution says which). Every record is counted exactly once: sum n over a range for totals; retention never changes them. The hourly and daily tables also hold recent periods (for fast long windows): read them directly for one resolution.';

COMMENT ON VIEW v_pattern_timeline IS 'Counts of every pattern per bucket, with its level and template: each period once, at the finest resolution still kept for it (minute, hour or day; see v_counts).';

CREATE MACRO count_rows(lo, lo_hours, lo_days, hi_days, hi_hours, hi, sources) AS TABLE
SELECT source, pattern_id, bucket, n, 'minute' AS resolution FROM pattern_counts
WHERE bucket >= lo AND bucket < lo_hours AND (sources IS NULL OR list_contains(sources, source))
UNION ALL
SELECT source, pattern_id, bucket, n, 'hour' AS resolution FROM pattern_counts_hourly
WHERE bucket >= lo_hours AND bucket < lo_days AND (sources IS NULL OR list_contains(sources, source))
UNION ALL
SELECT source, pattern_id, bucket, n, 'day' AS resolution FROM pattern_counts_daily
WHERE bucket >= lo_days AND bucket < hi_days AND (sources IS NULL OR list_contains(sources, source))
UNION ALL
SELECT source, pattern_id, bucket, n, 'hour' AS resolution FROM pattern_counts_hourly
WHERE bucket >= hi_days AND bucket < hi_hours AND (sources IS NULL OR list_contains(sources, source))
UNION ALL
SELECT source, pattern_id, bucket, n, 'minute' AS resolution FROM pattern_counts
WHERE bucket >= hi_hours AND bucket < hi AND (sources IS NULL OR list_contains(sources, source));
COMMENT ON MACRO TABLE count_rows IS 'Count rows of the range [lo, hi) read as minute buckets in [lo, lo_hours), hours in [lo_hours, lo_days), days in [lo_days, hi_days), hours in [hi_days, hi_hours) and minutes in [hi_hours, hi) (lo <= lo_hours <= lo_days <= hi_days <= hi_hours <= hi; an empty piece reads nothing), of the sources listed (NULL = all). Returns source, pattern_id, bucket, n, resolution. A bucket counts when it starts inside its piece; ailert.diff.count_plan picks the cuts (hour/day-aligned, where each resolution is complete).';
