-- purpose: alerting state — alerts (one row per alert episode), the outbox of posts not yet
--          accepted by Alertmanager, per-Alertmanager delivery state, suppressions (AIlert's
--          own and Alertmanager silences read back), acknowledgements, and analysts' views
-- grain:   see each object's COMMENT
-- params:  none
-- returns: nothing

CREATE SEQUENCE alert_ids START 1;
CREATE TABLE alerts (
    alert_id        BIGINT      PRIMARY KEY,
    alert_key       VARCHAR     NOT NULL,
    alertname       VARCHAR     NOT NULL,
    kind            VARCHAR     NOT NULL,
    pattern_hash    VARCHAR     NOT NULL,
    source          VARCHAR     NOT NULL,
    level           VARCHAR     NOT NULL,
    severity        VARCHAR     NOT NULL,
    escalated       BOOLEAN     NOT NULL DEFAULT false,
    rule            VARCHAR,
    template        VARCHAR     NOT NULL,
    sample          VARCHAR     NOT NULL,
    description     VARCHAR     NOT NULL,
    count           BIGINT      NOT NULL DEFAULT 0,
    score           DOUBLE,
    pattern_first_seen TIMESTAMPTZ,
    state           VARCHAR     NOT NULL,
    suppressed      BOOLEAN     NOT NULL DEFAULT false,
    muted           BOOLEAN     NOT NULL DEFAULT false,
    starts_at       TIMESTAMPTZ NOT NULL,
    ends_at         TIMESTAMPTZ,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_total      BIGINT,
    first_sent_at   TIMESTAMPTZ,
    last_sent_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE alerts IS 'One row per alert episode. state: pending (not yet accepted by any Alertmanager) -> firing -> resolved. alert_key (16 hex of alertname, source, pattern_hash, escalated) is the Alertmanager label set; a key has at most one open episode.';
COMMENT ON COLUMN alerts.starts_at IS 'startsAt posted to Alertmanager: the tick the alert first matched (kept for every re-post and the resolve).';
COMMENT ON COLUMN alerts.last_seen_at IS 'Last tick the condition held (finding reported again, or for new patterns: more lines). Resolved after alerting.resolve_after without it.';
COMMENT ON COLUMN alerts.suppressed IS 'A suppression matched: with an Alertmanager silence the alert is still posted (shown as suppressed there); without one it is muted.';
COMMENT ON COLUMN alerts.muted IS 'Suppressed with no Alertmanager silence: kept here, not posted.';
COMMENT ON COLUMN alerts.sample IS 'Example line with secrets redacted (ailert.redact).';

CREATE SEQUENCE outbox_ids START 1;
CREATE TABLE outbox (
    outbox_id    BIGINT      PRIMARY KEY,
    alert_id     BIGINT      NOT NULL,
    url          VARCHAR     NOT NULL,
    payload      VARCHAR     NOT NULL,
    resolved     BOOLEAN     NOT NULL,
    status       VARCHAR     NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    enqueued_at  TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ,
    last_error   VARCHAR
);
COMMENT ON TABLE outbox IS 'Alert posts per Alertmanager URL. status: queued (waiting; a newer post of the same alert replaces it), sent, rejected (HTTP 400; last_error says why). Sent and rejected rows are pruned after a day.';
COMMENT ON COLUMN outbox.payload IS 'The postable alert (JSON) exactly as it is posted to /api/v2/alerts.';

CREATE TABLE alertmanager_targets (
    url              VARCHAR     PRIMARY KEY,
    failures         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    last_error       VARCHAR,
    last_ok_at       TIMESTAMPTZ,
    posted           BIGINT      NOT NULL DEFAULT 0,
    rejected         BIGINT      NOT NULL DEFAULT 0
);
COMMENT ON TABLE alertmanager_targets IS 'Delivery state per Alertmanager URL: consecutive failures and the backoff before the next attempt; posted/rejected count alert posts over all time.';

CREATE SEQUENCE suppression_ids START 1;
CREATE TABLE suppressions (
    suppression_id    BIGINT      PRIMARY KEY,
    pattern_id        VARCHAR     NOT NULL,
    source            VARCHAR,
    reason            VARCHAR,
    created_by        VARCHAR     NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    starts_at         TIMESTAMPTZ NOT NULL,
    until             TIMESTAMPTZ NOT NULL,
    escalation_factor DOUBLE,
    origin            VARCHAR     NOT NULL,
    silence_wanted    BOOLEAN     NOT NULL DEFAULT false,
    silence_id        VARCHAR,
    silence_expired   BOOLEAN     NOT NULL DEFAULT false,
    ended_at          TIMESTAMPTZ,
    ended_by          VARCHAR,
    updated_at        TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE suppressions IS 'Do not alert on a pattern (in one source, or all when source is NULL) until `until`. origin: ailert (ailert suppress / serve) or alertmanager (a silence on pattern_hash made in the Alertmanager or Grafana UI, read back each tick). Active while ended_at IS NULL and starts_at <= now < until.';
COMMENT ON COLUMN suppressions.escalation_factor IS 'Escalation guard: a finding whose rate reaches this many times its baseline alerts again despite the suppression (label escalated="true", which AIlert''s silences do not match). NULL: never.';
COMMENT ON COLUMN suppressions.silence_wanted IS 'An Alertmanager silence should mirror this suppression; a tick creates it if Alertmanager was down (silence_id still NULL).';

CREATE TABLE acks (
    alert_id   BIGINT      NOT NULL,
    acked_by   VARCHAR     NOT NULL,
    acked_at   TIMESTAMPTZ NOT NULL,
    comment    VARCHAR
);
COMMENT ON TABLE acks IS 'Who acknowledged which alert episode, and when (ailert ack).';

CREATE VIEW v_open_alerts AS
SELECT a.alert_id, a.alertname, a.state, a.severity, a.source, a.pattern_hash, a.level,
       a.template, a.count, a.starts_at, a.last_seen_at, a.last_sent_at, a.suppressed,
       a.escalated, k.acked_by, k.acked_at
FROM alerts AS a
LEFT JOIN (
    SELECT alert_id, arg_max(acked_by, acked_at) AS acked_by, max(acked_at) AS acked_at
    FROM acks GROUP BY alert_id
) AS k USING (alert_id)
WHERE a.state <> 'resolved'
ORDER BY a.starts_at DESC;
COMMENT ON VIEW v_open_alerts IS 'Alerts pending or firing now, newest first, with the latest acknowledgement.';

CREATE VIEW v_active_suppressions AS
SELECT suppression_id, pattern_id, source, reason, created_by, created_at, until,
       escalation_factor, origin, silence_id
FROM suppressions
WHERE ended_at IS NULL AND starts_at <= now() AND until > now();
COMMENT ON VIEW v_active_suppressions IS 'Suppressions in force now (one pattern, in one source or all when source is NULL), including Alertmanager silences on pattern_hash.';
