-- purpose: from when each count resolution holds every record (ailert.diff.read_coverage)
-- grain:   one row per resolution (minute, hour, day)
-- params:  none
-- returns: resolution, complete_from (NULL = complete for all time)
SELECT resolution, complete_from FROM count_coverage;
