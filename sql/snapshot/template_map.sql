-- purpose: load a source's template -> pattern map (the stage-2 pattern book)
-- grain:   one row per (level, template)
-- params:  $source
-- returns: level, template, pattern_id
SELECT level, template, pattern_id FROM template_map WHERE source = $source;
