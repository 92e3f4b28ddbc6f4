-- purpose: lines per hour of some patterns over the 24 hours before $now (the judge's rate
--          history), from v_counts so any retention resolution counts
-- grain:   one row per (source, pattern, hour) with lines
-- params:  $keys (VARCHAR[]: pattern_id || chr(31) || source), $now
-- returns: source, pattern_id, hour (0 = the oldest of the 24), n
SELECT source, pattern_id,
       CAST(floor(epoch($now::TIMESTAMPTZ - bucket) / 3600) AS INTEGER) AS age,
       sum(n) AS n
FROM v_counts
WHERE list_contains($keys, pattern_id || chr(31) || source)
  AND bucket >= $now::TIMESTAMPTZ - INTERVAL 24 HOUR AND bucket < $now::TIMESTAMPTZ
GROUP BY ALL;
