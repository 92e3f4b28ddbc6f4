"""datagen: seeded, deterministic synthetic logs with known ground truth.

Owns nothing itself; it re-exports the public API of its modules:

- :mod:`datagen.catalogue` — variable kinds (:class:`Var`), :class:`Template`, :data:`CATALOGUE`,
  :data:`SIMPLE_VAR_TEMPLATES`, :func:`render_message`;
- :mod:`datagen.generate` — :class:`Event`, :func:`generate`, :func:`render` (plain / json /
  syslog), :func:`truth`, :func:`physical_truth`, :func:`write_lines`;
- :mod:`datagen.demo` — :func:`write_demo_logs` / :func:`append_incident` for ``ailert demo``;
- ``python -m datagen`` — the command line (see :mod:`datagen.__main__`).
"""

from datagen.catalogue import (
    CATALOGUE,
    NEAR_MISS_PAIRS,
    SIMPLE_VAR_TEMPLATES,
    TEMPLATES_BY_ID,
    Template,
    Var,
    render_message,
)
from datagen.demo import DemoIncident, DemoLogs, append_incident, write_demo_logs
from datagen.generate import (
    FORMS,
    NOISE_ID,
    Event,
    Form,
    generate,
    generate_between,
    iter_events,
    physical_truth,
    render,
    truth,
    write_lines,
)

__all__ = [
    "CATALOGUE",
    "FORMS",
    "NEAR_MISS_PAIRS",
    "NOISE_ID",
    "SIMPLE_VAR_TEMPLATES",
    "TEMPLATES_BY_ID",
    "DemoIncident",
    "DemoLogs",
    "Event",
    "Form",
    "Template",
    "Var",
    "append_incident",
    "generate",
    "generate_between",
    "iter_events",
    "physical_truth",
    "render",
    "render_message",
    "truth",
    "write_demo_logs",
    "write_lines",
]
