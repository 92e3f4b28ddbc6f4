-- purpose: the LLM judge (cached verdicts, every call made, the verdict shown on each alert)
--          and rules (suggested, applied or rejected; applied alert and mask rules are read by
--          every tick)
-- grain:   see each object's COMMENT
-- params:  none
-- returns: nothing

CREATE TABLE llm_verdicts (
    pattern_id     VARCHAR     NOT NULL,
    source         VARCHAR     NOT NULL,
    prompt_version VARCHAR     NOT NULL,
    model          VARCHAR     NOT NULL,
    verdict        VARCHAR     NOT NULL,
    confidence     DOUBLE      NOT NULL,
    category       VARCHAR     NOT NULL,
    reason         VARCHAR     NOT NULL,
    alone          BOOLEAN     NOT NULL,
    call_id        BIGINT,
    judged_at      TIMESTAMPTZ NOT NULL,
    applied_at     TIMESTAMPTZ,
    suppression_id BIGINT,
    PRIMARY KEY (pattern_id, source, prompt_version, model)
);
COMMENT ON TABLE llm_verdicts IS 'The LLM judge''s verdict on a pattern, cached per (pattern, source, prompt version, model): a pattern is judged once, not every tick. verdict: suppress | notify | escalate; confidence 0..1 (checked by AIlert, not the model); reason: one sentence shown in the alert.';
COMMENT ON COLUMN llm_verdicts.alone IS 'The verdict came from a request holding no other pattern''s log text; only such a verdict may suppress automatically (a batched suppress is re-asked alone first).';
COMMENT ON COLUMN llm_verdicts.applied_at IS 'When the policy acted on the verdict (an automatic suppression, suppression_id, created by llm:<model>); it acts once, so a person who ends that suppression is not overruled.';

CREATE SEQUENCE llm_call_ids START 1;
CREATE TABLE llm_calls (
    call_id           BIGINT      PRIMARY KEY,
    started_at        TIMESTAMPTZ NOT NULL,
    seconds           DOUBLE      NOT NULL,
    purpose           VARCHAR     NOT NULL,
    model             VARCHAR     NOT NULL,
    base_url          VARCHAR,
    response_format   VARCHAR,
    patterns          INTEGER     NOT NULL,
    ok                BOOLEAN     NOT NULL,
    error             VARCHAR,
    prompt_tokens     BIGINT      NOT NULL DEFAULT 0,
    completion_tokens BIGINT      NOT NULL DEFAULT 0,
    total_tokens      BIGINT      NOT NULL DEFAULT 0
);
COMMENT ON TABLE llm_calls IS 'Every request to the LLM endpoint (purpose: judge, or confirm = one pattern re-asked alone): outcome, error (timeout, HTTP status, malformed answer, …), tokens. The per-day budget is counted from here; after a failed call the judge waits llm.backoff before calling again.';

ALTER TABLE alerts ADD COLUMN llm_verdict VARCHAR;
ALTER TABLE alerts ADD COLUMN llm_confidence DOUBLE;
ALTER TABLE alerts ADD COLUMN llm_category VARCHAR;
ALTER TABLE alerts ADD COLUMN llm_reason VARCHAR;
COMMENT ON COLUMN alerts.llm_verdict IS 'The LLM judge''s verdict on the alert''s pattern (suppress, notify, escalate), or "not judged" (no llm: config gives NULL); posted as the llm_verdict annotation with llm_confidence, llm_category, llm_reason.';

CREATE TABLE rules (
    rule_id         VARCHAR     PRIMARY KEY,
    kind            VARCHAR     NOT NULL,
    source          VARCHAR,
    pattern_id      VARCHAR,
    template        VARCHAR,
    spec            VARCHAR     NOT NULL,
    evidence        VARCHAR     NOT NULL,
    origin          VARCHAR     NOT NULL,
    confidence      DOUBLE,
    status          VARCHAR     NOT NULL,
    proposed_by     VARCHAR     NOT NULL,
    proposed_at     TIMESTAMPTZ NOT NULL,
    last_proposed_at TIMESTAMPTZ NOT NULL,
    decided_by      VARCHAR,
    decided_at      TIMESTAMPTZ,
    decision_reason VARCHAR,
    suppression_id  BIGINT
);
COMMENT ON TABLE rules IS 'Rules suggested by `ailert rules suggest` / `ailert review` and what people did with them. kind: suppress (a long suppression), alert (always alert on a pattern), heartbeat (alert when a steady pattern is gone), mask (a stage-1 mask rule). status: proposed -> applied | rejected (a rejected rule is not proposed again). rule_id: 8 hex of (kind, source, pattern, spec), so proposing the same rule twice is one row.';
COMMENT ON COLUMN rules.spec IS 'JSON: for alert and heartbeat the alerting.rules entry (merged after the config''s rules on every tick once applied), for mask the patterns.masks entry (appended to the config''s masks), for suppress the duration in seconds.';
COMMENT ON COLUMN rules.evidence IS 'Why it was proposed, in words (counts, hours covered, the LLM''s reason).';

CREATE VIEW v_pattern_verdicts AS
SELECT pattern_id, source, verdict, confidence, category, reason, model, judged_at, alone,
       applied_at IS NOT NULL AS auto_suppressed
FROM (
    SELECT *, row_number() OVER (PARTITION BY pattern_id, source ORDER BY judged_at DESC) AS rn
    FROM llm_verdicts
)
WHERE rn = 1;
COMMENT ON VIEW v_pattern_verdicts IS 'The latest LLM verdict on each pattern of each source (for `ailert patterns` and analysts): verdict, confidence, category and the one-sentence reason.';

CREATE VIEW v_rules AS
SELECT rule_id, kind, status, source, pattern_id, template, evidence, origin, confidence,
       proposed_by, proposed_at, decided_by, decided_at, decision_reason
FROM rules
ORDER BY status = 'proposed' DESC, proposed_at DESC;
COMMENT ON VIEW v_rules IS 'Suggested, applied and rejected rules with who decided, when and why; proposed ones first.';
