-- purpose: drop minute buckets older than the minute coverage (their hours hold them)
-- grain:   pattern_counts rows
-- params:  $cutoff (count_coverage.complete_from of minute, from advance_coverage)
-- returns: the number of rows deleted
DELETE FROM pattern_counts WHERE bucket < $cutoff::TIMESTAMPTZ;
