"""Pattern engine: stage 1 masking, level detection, ids, stage 2 merge."""
