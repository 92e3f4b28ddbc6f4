"""Triage: which findings alert (rules) and which are suppressed (suppressions, silences)."""
