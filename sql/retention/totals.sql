-- purpose: total records per source over every resolution (rollups must not change it)
-- grain:   one row per source
-- params:  none
-- returns: source, n
SELECT source, CAST(sum(n) AS BIGINT) AS n FROM v_counts GROUP BY source ORDER BY source;
