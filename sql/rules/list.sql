-- purpose: the listing of `ailert rules list`
-- grain:   one row per rule, proposed first, newest first
-- params:  $status (NULL = all)
-- returns: every column of rules
SELECT *
FROM rules
WHERE $status IS NULL OR status = $status
ORDER BY status = 'proposed' DESC, last_proposed_at DESC, rule_id;
