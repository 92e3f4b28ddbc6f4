-- purpose: record one delivery attempt to an Alertmanager URL: success resets the failures,
--          failure counts one more and sets the backoff
-- grain:   one row of alertmanager_targets
-- params:  $url, $ok, $now, $next_attempt_at, $error, $posted, $rejected
-- returns: nothing
INSERT INTO alertmanager_targets AS t
    (url, failures, next_attempt_at, last_error, last_ok_at, posted, rejected)
VALUES ($url, CASE WHEN $ok THEN 0 ELSE 1 END, $next_attempt_at, $error,
        CASE WHEN $ok THEN $now::TIMESTAMPTZ END, $posted, $rejected)
ON CONFLICT (url) DO UPDATE SET
    failures = CASE WHEN $ok THEN 0 ELSE t.failures + 1 END,
    next_attempt_at = excluded.next_attempt_at,
    last_error = excluded.last_error,
    last_ok_at = CASE WHEN $ok THEN $now::TIMESTAMPTZ ELSE t.last_ok_at END,
    posted = t.posted + excluded.posted,
    rejected = t.rejected + excluded.rejected;
