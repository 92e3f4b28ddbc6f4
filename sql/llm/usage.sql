-- purpose: what the LLM has cost since $since (the start of the UTC day) and the last failure
--          (the judge backs off after one)
-- grain:   one row
-- params:  $since
-- returns: calls, tokens (since $since), last_failure_at, last_error (over all time)
SELECT
    count(*) FILTER (WHERE started_at >= $since) AS calls,
    coalesce(sum(total_tokens) FILTER (WHERE started_at >= $since), 0) AS tokens,
    max(started_at) FILTER (WHERE NOT ok) AS last_failure_at,
    arg_max(error, started_at) FILTER (WHERE NOT ok) AS last_error,
    max(started_at) FILTER (WHERE ok) AS last_ok_at
FROM llm_calls;
