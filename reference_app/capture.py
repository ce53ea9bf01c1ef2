"""Data capture switched on by the environment: the trace DB and SFT JSONL batches.

* `TASKAPP_TRACING_ENABLED`: `1,true,t,yes,y,on` store every rollout in the trace DB
  (default off);
* `SYNTH_TRACES_DB`, `LIBSQL_URL`, ...: where the trace DB is (the order is documented in
  `conformance.tracedb.dsn`);
* `TASKAPP_SFT_OUTPUT_DIR`, then `SFT_OUTPUT_DIR`: write each rollout as an SFT JSONL file.

The resolved trace DB is logged once at start-up, with credentials redacted. Both are
tried when the app is built (the DB opened and its schema created, a file written to
the directory and removed), so an unusable one raises :class:`CaptureConfigError` at
start-up instead of losing every rollout's data later. A capture that fails afterwards
is logged as an ERROR naming the rollout and listed in the rollout response's
`pipeline_metadata.capture_errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from conformance.tracedb import DsnError, TraceDbError, resolve_trace_db
from reference_app.errors import CaptureConfigError
from reference_app.rollout import RolloutListener
from reference_app.sft import SftJsonlListener, resolve_sft_output_dir
from reference_app.tracing import TRACING_ENV, TraceDbListener, tracing_enabled

logger = logging.getLogger("reference_app.capture")


def listeners_from_env(environ: Mapping[str, str]) -> list[RolloutListener]:
    """The capture listeners `environ` asks for (none by default), each tried once.

    Raises :class:`CaptureConfigError` (one line, no credentials) when the trace DB or
    the SFT output directory cannot be used.
    """
    listeners: list[RolloutListener] = []
    if tracing_enabled(environ):
        try:
            target = resolve_trace_db(environ)
            logger.info("tracing rollouts to %s", target.describe())
            listener = TraceDbListener(target)
            listener.prepare()
        except (DsnError, TraceDbError) as exc:
            raise CaptureConfigError(
                f"{exc}; fix the trace DB location or set {TRACING_ENV}=0"
            ) from None
        listeners.append(listener)
    directory = resolve_sft_output_dir(environ)
    if directory is not None:
        logger.info("writing SFT JSONL batches to %s", directory)
        listeners.append(SftJsonlListener(directory))
    return listeners
