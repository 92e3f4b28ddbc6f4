-- purpose: close a run with its outcome (ok or failed) and error text
-- grain:   one runs row
-- params:  $run_id, $outcome, $error
-- returns: nothing
UPDATE runs SET finished_at = now(), outcome = $outcome, error = $error WHERE run_id = $run_id;
