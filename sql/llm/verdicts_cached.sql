-- purpose: cached verdicts of the LLM judge for some patterns (the cache lookup of a tick)
-- grain:   one row per (pattern, source) found
-- params:  $keys (VARCHAR[]: pattern_id || chr(31) || source), $prompt_version, $model
-- returns: every column of llm_verdicts
SELECT *
FROM llm_verdicts
WHERE list_contains($keys, pattern_id || chr(31) || source)
  AND prompt_version = $prompt_version AND model = $model;
