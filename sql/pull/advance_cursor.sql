-- purpose: move a pull source's cursor (in the same transaction as the counts it covers)
-- grain:   one row per pull source
-- params:  $source, $type, $cursor_ns (exclusive end of what is counted, ns since 1970 UTC)
-- returns: nothing
INSERT INTO pull_cursors (source, type, cursor_ns, cursor_at, updated_at)
VALUES ($source, $type, $cursor_ns, make_timestamptz(($cursor_ns // 1000)::BIGINT), now())
ON CONFLICT (source) DO UPDATE SET
    type = excluded.type, cursor_ns = excluded.cursor_ns, cursor_at = excluded.cursor_at,
    updated_at = excluded.updated_at;
