-- purpose: forget delivered and rejected posts older than $before (the outbox stays small)
-- grain:   rows of outbox
-- params:  $before
-- returns: nothing
DELETE FROM outbox WHERE status <> 'queued' AND coalesce(sent_at, enqueued_at) < $before;
