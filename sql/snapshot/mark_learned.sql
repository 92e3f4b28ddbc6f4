-- purpose: after a source's first successful tick, what it has seen so far counts as learned
--          (its patterns are known, not new); later ticks leave the mark where it is
-- grain:   one row per source
-- params:  $source, $at
-- returns: nothing
INSERT INTO source_state (source, learned_until, updated_at)
VALUES ($source, $at::TIMESTAMPTZ, now())
ON CONFLICT (source) DO UPDATE SET
    learned_until = coalesce(source_state.learned_until, excluded.learned_until),
    updated_at = now();
