"""One Hypothesis search at a time in this process.

The runner executes checks on a thread pool, and PROP-1..4 and FUZZ-1 each run a
Hypothesis search. Hypothesis parses source with `ast` while it runs (filter
rewriting, pretty-printing), and CPython 3.11 keeps the AST constructor's recursion
counter per interpreter, not per thread: two parses in parallel threads can fail
with a spurious `SystemError: AST constructor recursion depth mismatch`, which CI
saw as a PROP-2 harness ERROR. Searches therefore take this lock.
"""

from __future__ import annotations

import threading
from typing import Final

HYPOTHESIS_LOCK: Final = threading.RLock()
"""Reentrant: a search started from inside another (an author's @given test) must not deadlock."""
