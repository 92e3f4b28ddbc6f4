-- purpose: every silence id a suppression has ever held (so a silence is imported only once)
-- grain:   one row per silence id
-- params:  none
-- returns: silence_id
SELECT DISTINCT silence_id FROM suppressions WHERE silence_id IS NOT NULL;
