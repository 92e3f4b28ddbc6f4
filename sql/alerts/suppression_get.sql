-- purpose: one suppression by id
-- grain:   zero or one row
-- params:  $suppression_id
-- returns: every column of suppressions
SELECT * FROM suppressions WHERE suppression_id = $suppression_id;
