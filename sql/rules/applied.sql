-- purpose: the applied rules a tick reads: alert and heartbeat rules (merged after the
--          config's alerting.rules) and mask rules (appended to the config's patterns.masks)
-- grain:   one row per applied rule of the given kinds, in the order they were applied
-- params:  $kinds (VARCHAR[])
-- returns: rule_id, kind, spec
SELECT rule_id, kind, spec
FROM rules
WHERE status = 'applied' AND list_contains($kinds, kind)
ORDER BY decided_at, rule_id;
