-- purpose: patterns that have (or had) a suppression in a scope: the judge never suppresses
--          those on its own (a person already decided, or ended its earlier suppression)
-- grain:   one row per (pattern, source) key asked about that has any suppression
-- params:  $keys (VARCHAR[]: pattern_id || chr(31) || source)
-- returns: key
SELECT DISTINCT k.key
FROM unnest($keys::VARCHAR[]) AS k(key)
JOIN suppressions AS s
  ON s.pattern_id = split_part(k.key, chr(31), 1)
 AND (s.source IS NULL OR s.source = split_part(k.key, chr(31), 2));
