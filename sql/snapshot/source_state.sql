-- purpose: a source's learning and training state
-- grain:   one row per source (none before its first tick)
-- params:  $source
-- returns: learned_until, trained_from, trained_until
SELECT learned_until, trained_from, trained_until FROM source_state WHERE source = $source;
