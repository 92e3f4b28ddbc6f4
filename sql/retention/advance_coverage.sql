-- purpose: move a resolution's complete_from forward to $cutoff (never back): the coarser table
--          already holds every record of the buckets before it, so they may be deleted
-- grain:   one count_coverage row
-- params:  $resolution ('minute' or 'hour'), $cutoff (hour-aligned for minute, day-aligned for
--          hour); run with the matching delete in one transaction
-- returns: complete_from (the cutoff to delete before)
UPDATE count_coverage
SET complete_from = greatest(complete_from, $cutoff::TIMESTAMPTZ)
WHERE resolution = $resolution
RETURNING complete_from;
