"""Notifying: alert rules applied to findings, the alert lifecycle kept in DuckDB, and the
Alertmanager API v2 client. Submodules are imported explicitly (``ailert.notify.alerts``);
this package imports nothing, because :mod:`ailert.config` imports its settings module.
"""
