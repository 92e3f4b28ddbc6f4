-- purpose: add one committed chunk's counters to its run (same transaction as the counts)
-- grain:   one runs row
-- params:  $run_id, $lines, $records, $blank, $failures, $invalid, $long, $new_patterns
-- returns: nothing
UPDATE runs SET
    lines_read       = lines_read + $lines,
    records          = records + $records,
    blank_lines      = blank_lines + $blank,
    mapping_failures = mapping_failures + $failures,
    invalid_utf8     = invalid_utf8 + $invalid,
    truncated_lines  = truncated_lines + $long,
    new_patterns     = new_patterns + $new_patterns
WHERE run_id = $run_id;
