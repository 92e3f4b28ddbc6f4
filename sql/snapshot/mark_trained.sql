-- purpose: record a backfill of [$from, $until) by `ailert train`: learned up to $until, and
--          ticks skip records older than $until (train counted them)
-- grain:   one row per source
-- params:  $source, $from, $until
-- returns: nothing
INSERT INTO source_state (source, learned_until, trained_from, trained_until, updated_at)
VALUES ($source, $until::TIMESTAMPTZ, $from::TIMESTAMPTZ, $until::TIMESTAMPTZ, now())
ON CONFLICT (source) DO UPDATE SET
    learned_until = greatest(coalesce(source_state.learned_until, excluded.learned_until), excluded.learned_until),
    trained_from  = least(coalesce(source_state.trained_from, excluded.trained_from), excluded.trained_from),
    trained_until = greatest(coalesce(source_state.trained_until, excluded.trained_until), excluded.trained_until),
    updated_at = now();
