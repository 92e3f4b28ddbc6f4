-- purpose: source_fields — the field names (JSON top-level keys, logfmt keys) each source has
--          shown, with when they were first and last seen; format drift reads it (new fields)
-- grain:   one row per (source, field)
-- params:  none
-- returns: nothing

CREATE TABLE source_fields (
    source      VARCHAR     NOT NULL,
    field       VARCHAR     NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    n           BIGINT      NOT NULL,
    PRIMARY KEY (source, field)
);
COMMENT ON TABLE source_fields IS 'Field names seen in the lines of a json or logfmt source (ailert.fields.field_names): first/last seen = the time of the batch they were seen in, n = lines holding the field. A field first seen inside a diff window is format drift.';
COMMENT ON COLUMN source_fields.n IS 'Lines holding this field since first_seen (a line with the key twice counts once).';
