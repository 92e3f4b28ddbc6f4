-- purpose: how many posts wait per Alertmanager URL (the report and /metrics)
-- grain:   one row per URL with queued posts
-- params:  none
-- returns: url, queued
SELECT url, count(*) AS queued FROM outbox WHERE status = 'queued' GROUP BY url ORDER BY url;
