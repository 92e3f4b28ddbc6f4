-- purpose: the delivery state of one Alertmanager URL (backoff after failures)
-- grain:   zero or one row
-- params:  $url
-- returns: url, failures, next_attempt_at, last_error, last_ok_at, posted, rejected
SELECT * FROM alertmanager_targets WHERE url = $url;
