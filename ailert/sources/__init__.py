"""Sources: where records come from. ``file`` tails log files (:mod:`ailert.sources.file`); the
pull sources — ``loki``, ``prometheus``, ``sql`` and ``http`` — read a time window through one
interface and one registry (:mod:`ailert.sources.base`), ticked by :mod:`ailert.sources.pull`.

Importing :mod:`ailert.config` here first fixes the import order: the pull sources' config
models (:mod:`ailert.sources.models`) inherit its ``MappingConfig``, and it imports them.
"""

import ailert.config  # noqa: F401
