"""AIlert: discovers log patterns, notices what changed, and alerts through Alertmanager."""

__version__ = "0.1.0"
