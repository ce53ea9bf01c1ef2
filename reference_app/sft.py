"""SFT capture: each rollout's conversation as one SFT JSONL batch file (spec §5.1, §5.2, §6).

With `TASKAPP_SFT_OUTPUT_DIR` (or `SFT_OUTPUT_DIR`) set, every rollout writes one file
holding one record, built by :mod:`conformance.sft.records` exactly as `filter` builds
its export: the chat up to the assistant's last turn (the tool result that grades the
final `submit_answer` call is dropped), the task's tools in the flat form, and
`metadata` (the session's keys plus `run_id`, `total_reward`, `trace_correlation_id`).

Unlike synth-ai's `unique_sft_path` (D16): the run id is sanitised to `[A-Za-z0-9_-]`
(so `../../etc/x` becomes `etc_x` and the file always lands inside the directory),
names carry a UTC timestamp with microseconds plus a random suffix (unique within one
second), and files appear atomically: written to a hidden `.part` file, flushed, then
linked into place without ever overwriting an existing file. Where the file system has no
hard links, the name is reserved with `O_CREAT | O_EXCL` and the data swapped in with
`os.replace`, so the file may be seen empty for an instant, but is never clobbered.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from conformance.sft.records import MIN_MESSAGES, jsonl_line, record_metadata, sft_record
from reference_app import task
from reference_app.errors import CaptureConfigError
from reference_app.rollout import CompletedRollout
from reference_app.tracing import session_metadata

SFT_DIR_VARIABLES = ("TASKAPP_SFT_OUTPUT_DIR", "SFT_OUTPUT_DIR")
MAX_RUN_ID_CHARS = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class SftCaptureError(CaptureConfigError):
    """The SFT output directory cannot be used; `str()` is one line for the user."""


def resolve_sft_output_dir(environ: Mapping[str, str], *, create: bool = True) -> Path | None:
    """The first non-empty of `TASKAPP_SFT_OUTPUT_DIR`, `SFT_OUTPUT_DIR` (`~` expanded).

    With `create`, the directory is created and a file is written to it and removed.
    Unlike synth-ai, which silently disables capture when that fails, a path that is a
    file, or a directory that cannot be created or written to, raises
    :class:`SftCaptureError`.
    """
    for name in SFT_DIR_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            directory = Path(value).expanduser().absolute()
            if create:
                _make_writable_dir(name, value, directory)
            return directory
    return None


def _make_writable_dir(name: str, value: str, directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise SftCaptureError(
            f"{name}={value!r} is a file, not a directory; point it at a directory "
            "(it is created if missing)"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SftCaptureError(
            f"{name}={value!r}: cannot create the SFT output directory ({exc.strerror or exc})"
        ) from exc
    probe = directory / f".write-probe-{secrets.token_hex(4)}.part"
    try:
        with probe.open("xb"):
            pass
        probe.unlink()
    except OSError as exc:
        raise SftCaptureError(
            f"{name}={value!r}: cannot write to the SFT output directory ({exc.strerror or exc})"
        ) from exc


def sanitise_run_id(run_id: str) -> str:
    """A file-name-safe form of `run_id`: `[A-Za-z0-9_-]`, at most 64 chars, never empty."""
    safe = _UNSAFE.sub("_", run_id).strip("_-")[:MAX_RUN_ID_CHARS].strip("_-")
    return safe or "run"


def unique_sft_path(directory: Path, run_id: str, *, now: datetime | None = None) -> Path:
    """`<dir>/<safe run id>_<UTC time to the microsecond>_<random>.jsonl`, inside `directory`."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H-%M-%S-%fZ")
    path = directory / f"{sanitise_run_id(run_id)}_{stamp}_{secrets.token_hex(4)}.jsonl"
    if path.resolve().parent != directory.resolve():
        raise SftCaptureError(f"refusing to write outside {directory}: {path.name}")
    return path


def _claim(final: Path) -> bool:
    """Create `final` empty and exclusively (`O_EXCL`); False when the name is taken."""
    try:
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _publish(partial: Path, final: Path) -> bool:
    """Make the complete `partial` appear as `final`, never overwriting; False if taken."""
    try:
        os.link(partial, final)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system
        pass
    # Reserve the name atomically first, so a concurrent writer cannot be overwritten; the
    # reserved file is empty (a reader skips it) until replace() swaps the data in.
    if not _claim(final):
        return False
    try:
        os.replace(partial, final)
    except OSError:
        final.unlink(missing_ok=True)  # our own empty reservation
        raise
    return True


def write_atomically(directory: Path, run_id: str, data: bytes) -> Path:
    """Write `data` to a new unique file in `directory`; it appears complete or not at all.

    The hidden `.part` file is removed whatever happens (a failed write or fsync, a full
    disk, a taken name); only the finished file remains.
    """
    for _ in range(8):
        final = unique_sft_path(directory, run_id)
        partial = final.with_name(f".{final.name}.part")
        try:
            with partial.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if _publish(partial, final):
                return final
        finally:
            partial.unlink(missing_ok=True)
    raise SftCaptureError(f"could not find a free file name in {directory}")


def rollout_record(completed: CompletedRollout) -> dict[str, Any]:
    """The SFT JSONL record of a rollout (its `messages`, flat `tools`, `metadata`)."""
    request, response = completed.request, completed.response
    metadata = record_metadata(
        completed.trace.session_id,
        session_metadata(completed),
        run_id=request.run_id,
        total_reward=response.metrics.mean_return,
        trace_correlation_id=response.trace_correlation_id,
        created_at=datetime.now(UTC).isoformat(),
    )
    return sft_record(completed.messages, metadata, tools=task.TOOLS)


@dataclass(frozen=True)
class SftJsonlListener:
    """A rollout listener writing each rollout's conversation as one SFT JSONL file."""

    capture_name: ClassVar[str] = "sft_jsonl"
    directory: Path

    async def __call__(self, completed: CompletedRollout) -> None:
        record = rollout_record(completed)
        if len(record["messages"]) < MIN_MESSAGES:
            return  # nothing to learn from (no assistant turn); never write an invalid line
        data = jsonl_line(record).encode()
        await asyncio.to_thread(write_atomically, self.directory, completed.request.run_id, data)
