-- purpose: drop hourly buckets already rolled into days
-- grain:   pattern_counts_hourly rows
-- params:  $cutoff (the same as rollup_days)
-- returns: nothing
DELETE FROM pattern_counts_hourly WHERE bucket < $cutoff::TIMESTAMPTZ;
