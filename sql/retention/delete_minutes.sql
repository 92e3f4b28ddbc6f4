-- purpose: drop minute buckets already rolled into hours
-- grain:   pattern_counts rows
-- params:  $cutoff (the same as rollup_hours)
-- returns: nothing
DELETE FROM pattern_counts WHERE bucket < $cutoff::TIMESTAMPTZ;
