"""Sources: where records come from. Each source type has one module here; the registry maps
a config ``type`` to its reader. Only ``file`` exists yet (Loki, Prometheus, SQL and HTTP
come with their own issue)."""
