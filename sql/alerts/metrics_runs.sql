-- purpose: per source, the latest finished run (one source's share of a tick): its duration,
--          lines and when it ended, for /metrics
-- grain:   one row per source
-- params:  none
-- returns: source, seconds, lines_read, finished_at, outcome
SELECT source,
       epoch(finished_at) - epoch(started_at) AS seconds,
       lines_read, finished_at, outcome
FROM runs
WHERE finished_at IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC, run_id DESC) = 1
ORDER BY source;
