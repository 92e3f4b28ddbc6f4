-- purpose: load a source's patterns (the stage-2 pattern book)
-- grain:   one row per pattern
-- params:  $source
-- returns: pattern_id, level, template
SELECT pattern_id, level, template FROM patterns WHERE source = $source;
