-- purpose: drop hourly buckets older than the hour coverage (their days hold them)
-- grain:   pattern_counts_hourly rows
-- params:  $cutoff (count_coverage.complete_from of hour, from advance_coverage)
-- returns: the number of rows deleted
DELETE FROM pattern_counts_hourly WHERE bucket < $cutoff::TIMESTAMPTZ;
