-- purpose: rules by id (apply, reject, and what suggest found already recorded)
-- grain:   one row per rule
-- params:  $ids (VARCHAR[])
-- returns: every column of rules
SELECT * FROM rules WHERE list_contains($ids, rule_id) ORDER BY rule_id;
