-- purpose: a pattern's template generalised by stage 2 ("User alice" -> "User <*>"); its id
--          never changes (Alertmanager silences match on it), only the template it shows
-- grain:   one patterns row
-- params:  $source, $pattern_id, $template
-- returns: nothing
UPDATE patterns SET template = $template WHERE source = $source AND pattern_id = $pattern_id;
