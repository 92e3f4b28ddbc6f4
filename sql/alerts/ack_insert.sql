-- purpose: record an acknowledgement
-- grain:   one new row of acks
-- params:  $alert_id, $acked_by, $now, $comment
-- returns: nothing
INSERT INTO acks (alert_id, acked_by, acked_at, comment) VALUES ($alert_id, $acked_by, $now, $comment);
