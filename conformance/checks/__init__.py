"""The conformance checks, one module per area: importing this package registers them all.

`AREAS` is the catalogue's order of areas (`list-checks`, the README table, every
report); within an area, checks go by number. A new area is a module here and an entry
in `AREAS`; a new check is a decorated function in its area's module.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from conformance.checks import (
    auth,
    cid,
    container_auth,
    containers,
    determinism,
    endpoints,
    fuzzing,
    generations,
    load,
    model_faults,
    properties,
    rewards,
    rollout,
    security,
    task_info,
)

AREAS: Final[tuple[ModuleType, ...]] = (
    endpoints,
    task_info,
    auth,
    security,
    rollout,
    cid,
    determinism,
    rewards,
    load,
    model_faults,
    properties,
    generations,
    container_auth,
    containers,
    fuzzing,
)
