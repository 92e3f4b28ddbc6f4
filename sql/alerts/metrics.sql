-- purpose: AIlert's own counters for /metrics (Prometheus exposition), read from the store
-- grain:   one row
-- params:  $now
-- returns: lines_read, records, patterns, new_patterns, runs, runs_failed, alerts_total,
--          alerts_sent, alerts_open, alerts_firing, outbox_depth, posts_sent, posts_rejected,
--          suppressions_active
SELECT
    (SELECT coalesce(sum(lines_read), 0) FROM runs) AS lines_read,
    (SELECT coalesce(sum(records), 0) FROM runs) AS records,
    (SELECT count(*) FROM patterns) AS patterns,
    (SELECT coalesce(sum(new_patterns), 0) FROM runs) AS new_patterns,
    (SELECT count(*) FROM runs) AS runs,
    (SELECT count(*) FROM runs WHERE outcome = 'failed') AS runs_failed,
    (SELECT count(*) FROM alerts) AS alerts_total,
    (SELECT count(*) FROM alerts WHERE first_sent_at IS NOT NULL) AS alerts_sent,
    (SELECT count(*) FROM alerts WHERE state <> 'resolved') AS alerts_open,
    (SELECT count(*) FROM alerts WHERE state = 'firing') AS alerts_firing,
    (SELECT count(*) FROM outbox WHERE status = 'queued') AS outbox_depth,
    (SELECT coalesce(sum(posted), 0) FROM alertmanager_targets) AS posts_sent,
    (SELECT coalesce(sum(rejected), 0) FROM alertmanager_targets) AS posts_rejected,
    (SELECT count(*) FROM suppressions
     WHERE ended_at IS NULL AND starts_at <= $now AND until > $now) AS suppressions_active;
