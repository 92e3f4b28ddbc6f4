-- purpose: the open alert episodes (pending or firing) with their pattern's current total,
--          for the tick's lifecycle step
-- grain:   one row per open alert episode
-- params:  none
-- returns: every column of alerts plus pattern_total (NULL when the pattern is not in patterns)
SELECT a.*, p.total AS pattern_total
FROM alerts AS a
LEFT JOIN patterns AS p ON p.source = a.source AND p.pattern_id = a.pattern_hash
WHERE a.state <> 'resolved'
ORDER BY a.alert_id;
