-- purpose: the file cursors of one source
-- grain:   one row per file the source has read
-- params:  $source
-- returns: file_key, path, fp_len, fp_hash, byte_offset, done, skipped
SELECT file_key, path, fp_len, fp_hash, byte_offset, done, skipped
FROM file_cursors WHERE source = $source ORDER BY updated_at;
