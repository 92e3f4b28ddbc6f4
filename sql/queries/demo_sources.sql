-- purpose: which sources a store holds (the demo refuses to reset a store of other sources)
-- grain:   one row per source
-- params:  none
-- returns: source
SELECT DISTINCT source FROM runs ORDER BY source;
