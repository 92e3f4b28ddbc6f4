"""Benchmarks of AIlert against public baselines (run with ``make bench``)."""
