-- purpose: every pull source's cursor (for `ailert sources check`)
-- grain:   one row per pull source
-- params:  none
-- returns: source, type, cursor_ns, cursor_at, updated_at
SELECT source, type, cursor_ns, cursor_at, updated_at FROM pull_cursors ORDER BY source;
