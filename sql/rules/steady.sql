-- purpose: steady patterns for heartbeat rules: present in every hour from their first hour
--          (at the latest $since) to $until, $min_hours or more; the most regular first
-- grain:   one row per steady (source, pattern), at most $per_source per source
-- params:  $since, $until (whole hours), $min_hours, $max_cv (largest coefficient of variation
--          of the hourly counts), $per_source
-- returns: source, pattern_id, level, template, hours, mean, low, cv
WITH hourly AS (
    SELECT source, pattern_id, date_trunc('hour', bucket) AS hour, sum(n) AS n
    FROM v_counts
    WHERE resolution <> 'day' AND bucket >= $since AND bucket < $until
    GROUP BY ALL
), steady AS (
    SELECT source, pattern_id, count(*) AS hours, avg(n) AS mean, min(n) AS low,
           coalesce(stddev_pop(n), 0) / avg(n) AS cv,
           CAST(epoch($until::TIMESTAMPTZ - min(hour)) / 3600 AS BIGINT) AS span
    FROM hourly
    GROUP BY source, pattern_id
)
SELECT s.source, s.pattern_id, p.level, p.template, s.hours, s.mean, s.low, s.cv
FROM steady AS s
JOIN patterns AS p USING (source, pattern_id)
WHERE s.hours = s.span AND s.hours >= $min_hours AND s.cv <= $max_cv
QUALIFY row_number() OVER (PARTITION BY s.source ORDER BY s.cv, s.mean DESC) <= $per_source
ORDER BY s.source, s.cv, s.pattern_id;
