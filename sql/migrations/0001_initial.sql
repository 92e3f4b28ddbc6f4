-- purpose: initial snapshot schema — cursors, runs, patterns, the template map, per-bucket counts
-- grain:   see each table's COMMENT
-- params:  none (applied once by ailert.store.migrate, recorded in schema_migrations)
-- returns: nothing

CREATE TABLE file_cursors (
    source      VARCHAR   NOT NULL,
    file_key    VARCHAR   NOT NULL,
    path        VARCHAR   NOT NULL,
    fp_len      INTEGER   NOT NULL,
    fp_hash     VARCHAR   NOT NULL,
    byte_offset BIGINT    NOT NULL,
    done        BOOLEAN   NOT NULL DEFAULT false,
    skipped     VARCHAR,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, file_key)
);
COMMENT ON TABLE file_cursors IS 'One row per file a file source has read: identity (device:inode + head fingerprint) and the byte offset up to which every line is counted.';

CREATE SEQUENCE run_ids START 1;
CREATE TABLE runs (
    run_id           BIGINT    PRIMARY KEY,
    source           VARCHAR   NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    lines_read       BIGINT    NOT NULL DEFAULT 0,
    records          BIGINT    NOT NULL DEFAULT 0,
    blank_lines      BIGINT    NOT NULL DEFAULT 0,
    mapping_failures BIGINT    NOT NULL DEFAULT 0,
    invalid_utf8     BIGINT    NOT NULL DEFAULT 0,
    truncated_lines  BIGINT    NOT NULL DEFAULT 0,
    new_patterns     BIGINT    NOT NULL DEFAULT 0,
    outcome          VARCHAR   NOT NULL,
    error            VARCHAR
);
COMMENT ON TABLE runs IS 'One row per tick per source: what was read and found. outcome: partial while chunks commit (stays partial if the tick was killed), ok, or failed with error.';

CREATE TABLE patterns (
    source      VARCHAR   NOT NULL,
    pattern_id  VARCHAR   NOT NULL,
    template    VARCHAR   NOT NULL,
    level       VARCHAR   NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    total       BIGINT    NOT NULL,
    sample      VARCHAR   NOT NULL,
    PRIMARY KEY (source, pattern_id)
);
COMMENT ON TABLE patterns IS 'One row per pattern per source. pattern_id (16 hex, the Alertmanager label pattern_hash) is md5(level || chr(31) || founding template), stable forever.';
COMMENT ON COLUMN patterns.total IS 'All records counted for this pattern in this source since first_seen.';

CREATE TABLE template_map (
    source      VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    template    VARCHAR NOT NULL,
    pattern_id  VARCHAR NOT NULL,
    PRIMARY KEY (source, level, template)
);
COMMENT ON TABLE template_map IS 'Stage-1 masked template -> pattern (stage 2 maps several templates to one pattern).';

CREATE TABLE pattern_counts (
    source      VARCHAR   NOT NULL,
    pattern_id  VARCHAR   NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    n           BIGINT    NOT NULL,
    PRIMARY KEY (source, pattern_id, bucket)
);
COMMENT ON TABLE pattern_counts IS 'Records per pattern per source per time bucket (bucket = start of the tick.bucket interval holding the record ts).';

CREATE TABLE pattern_samples (
    source      VARCHAR   NOT NULL,
    pattern_id  VARCHAR   NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    message     VARCHAR   NOT NULL
);
COMMENT ON TABLE pattern_samples IS 'A few example messages per pattern (capped in length and number).';

CREATE TABLE source_counts (
    source           VARCHAR   NOT NULL,
    bucket           TIMESTAMPTZ NOT NULL,
    records          BIGINT    NOT NULL,
    mapping_failures BIGINT    NOT NULL,
    PRIMARY KEY (source, bucket)
);
COMMENT ON TABLE source_counts IS 'Records and mapping failures per source per bucket (format drift reads this).';
