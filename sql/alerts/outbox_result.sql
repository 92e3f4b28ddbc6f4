-- purpose: record the outcome of one post: sent, rejected (400), or still queued (unavailable)
-- grain:   one row of outbox
-- params:  $outbox_id, $status ('sent' | 'rejected' | 'queued'), $error, $now
-- returns: nothing
UPDATE outbox
SET status = $status, attempts = attempts + 1, last_error = $error,
    sent_at = CASE WHEN $status = 'sent' THEN $now ELSE sent_at END
WHERE outbox_id = $outbox_id;
