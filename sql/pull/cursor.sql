-- purpose: where a pull source's cursor stands
-- grain:   one row per pull source (none before its first committed window)
-- params:  $source
-- returns: cursor_ns
SELECT cursor_ns FROM pull_cursors WHERE source = $source;
