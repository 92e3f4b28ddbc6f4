-- purpose: move a file cursor (in the same transaction as the counts it covers)
-- grain:   one row per (source, file_key)
-- params:  $source, $file_key, $path, $fp_len, $fp_hash, $byte_offset, $done, $skipped
-- returns: nothing
INSERT INTO file_cursors (source, file_key, path, fp_len, fp_hash, byte_offset, done, skipped, updated_at)
VALUES ($source, $file_key, $path, $fp_len, $fp_hash, $byte_offset, $done, $skipped, now())
ON CONFLICT (source, file_key) DO UPDATE SET
    path = excluded.path, fp_len = excluded.fp_len, fp_hash = excluded.fp_hash,
    byte_offset = excluded.byte_offset, done = excluded.done, skipped = excluded.skipped,
    updated_at = excluded.updated_at;
