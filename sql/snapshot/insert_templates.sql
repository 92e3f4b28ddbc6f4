-- purpose: remember which pattern each newly seen masked template belongs to
-- grain:   one row per (source, level, template)
-- params:  $source; reads the registered frame batch_templates (level, template, pattern_id)
-- returns: nothing
INSERT INTO template_map (source, level, template, pattern_id)
SELECT $source, level, template, pattern_id FROM batch_templates
ON CONFLICT DO NOTHING;
