-- purpose: record one request to the LLM endpoint (budget, backoff and audit read it)
-- grain:   one new row of llm_calls
-- params:  $started_at, $seconds, $purpose, $model, $base_url, $response_format, $patterns,
--          $ok, $error, $prompt_tokens, $completion_tokens, $total_tokens
-- returns: call_id
INSERT INTO llm_calls (
    call_id, started_at, seconds, purpose, model, base_url, response_format, patterns, ok,
    error, prompt_tokens, completion_tokens, total_tokens
)
VALUES (
    nextval('llm_call_ids'), $started_at, $seconds, $purpose, $model, $base_url,
    $response_format, $patterns, $ok, $error, $prompt_tokens, $completion_tokens, $total_tokens
)
RETURNING call_id;
