"""``--jobs N``: validate byte ranges of one file in N worker processes.

The file is cut into N ranges whose boundaries sit just after a ``\\n``, so every range
holds whole lines. Each worker scans its range with its own capped error list and
returns its line count; the parent shifts line numbers by the lines of the ranges
before it, so they are exact. Duplicate detection spans the ranges: workers return the
digest of every record and the parent indexes them in file order.

Workers are forked where the platform allows it (Linux), which makes start-up cheap and
lets them share the parent's ``hash()`` seed; elsewhere they are spawned and digests are
SHA-1 based.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.jsonl.engine import (
    DigestKind,
    DuplicateIndex,
    Options,
    ProgressCallback,
    Scanner,
    ScanResult,
    duplicate_finding,
    iter_file_blocks,
    make_error,
    saturation_note,
)
from conformance.jsonl.model import JsonlError

_worker_state: dict[str, Any] = {}


def split_ranges(path: Path, size: int, jobs: int) -> list[tuple[int, int]]:
    """Cut ``[0, size)`` into at most ``jobs`` ranges, each ending just after a newline."""
    bounds = [0]
    with path.open("rb") as handle:
        for k in range(1, jobs):
            target = max(size * k // jobs, bounds[-1])
            handle.seek(target)
            while True:
                chunk = handle.read(64 * 1024)
                if not chunk:
                    cut = size
                    break
                newline = chunk.find(b"\n")
                if newline != -1:
                    cut = target + newline + 1
                    break
                target += len(chunk)
            if cut > bounds[-1]:
                bounds.append(cut)
    if bounds[-1] != size:
        bounds.append(size)
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _init_worker(options: Options, source: str, counters: Any, kind: DigestKind) -> None:
    _worker_state.update(options=options, source=source, counters=counters, kind=kind)


def _scan_range(path: str, start: int, end: int, index: int, final: bool) -> ScanResult:
    state = _worker_state
    counters = state["counters"]

    def progress(nbytes: int) -> None:
        counters[index] += nbytes

    scanner = Scanner(
        state["options"], state["source"], collect_digests=True, digest_kind=state["kind"]
    )
    with open(path, "rb", buffering=0) as handle:
        scanner.scan_blocks(iter_file_blocks(handle, start, end), final=final, progress=progress)
    return scanner.result


def _context() -> tuple[Any, DigestKind]:
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork"), "hash"
    return multiprocessing.get_context("spawn"), "sha1"


def scan_path_parallel(
    path: Path,
    options: Options,
    jobs: int,
    *,
    source: str,
    progress: ProgressCallback | None = None,
) -> ScanResult:
    """Validate ``path`` with up to ``jobs`` processes (fewer when it has fewer lines)."""
    size = os.path.getsize(path)
    ranges = split_ranges(path, size, jobs)
    context, kind = _context()
    counters = context.Array("q", len(ranges), lock=False)
    tasks = [
        (str(path), start, end, index, index == len(ranges) - 1)
        for index, (start, end) in enumerate(ranges)
    ]
    with context.Pool(
        len(ranges), initializer=_init_worker, initargs=(options, source, counters, kind)
    ) as pool:
        pending = pool.starmap_async(_scan_range, tasks, chunksize=1)
        reported = 0
        while not pending.ready():
            pending.wait(0.1)
            if progress is not None:
                done = sum(counters)
                progress(done - reported)
                reported = done
        parts: list[ScanResult] = pending.get()
    if progress is not None:
        progress(size - reported)
    return merge_results(parts, options, source)


def merge_results(parts: list[ScanResult], options: Options, source: str) -> ScanResult:
    """Combine per-range results in file order: shift lines, find duplicates, re-cap."""
    merged = ScanResult()
    errors: list[JsonlError] = []
    index = DuplicateIndex(options.duplicate_capacity)
    for part in parts:
        offset = merged.lines
        for error in part.errors:
            line = None if error.line is None else error.line + offset
            errors.append(replace(error, line=line))
        if not _merge_unique(index, part, offset):
            for digest, line in zip(part.digests, part.digest_lines, strict=True):
                first = index.add(digest, line + offset)
                if first is not None:
                    merged.duplicates += 1
                    merged.error_count += 1
                    errors.append(make_error(source, line + offset, duplicate_finding(first)))
        merged.lines += part.lines
        merged.records += part.records
        merged.bytes += part.bytes
        merged.error_count += part.error_count
    if index.saturated:
        merged.notes.append(saturation_note(options.duplicate_capacity))
    errors.sort(key=lambda error: -1 if error.line is None else error.line)
    merged.errors = errors if options.max_errors is None else errors[: options.max_errors]
    return merged


def _merge_unique(index: DuplicateIndex, part: ScanResult, offset: int) -> bool:
    """Index a range whose records repeat nothing (the common case) without a Python loop.

    Returns False, changing nothing, when the range has a duplicate (of its own or of an
    earlier range) or would fill the index: the caller then walks it record by record.
    """
    seen = index.first_lines
    # Reversed, so that for a repeated digest the first line is the one that stays.
    lines = map(offset.__add__, reversed(part.digest_lines))
    first = dict(zip(reversed(part.digests), lines, strict=True))
    if len(first) != len(part.digests) or not seen.keys().isdisjoint(first):
        return False
    if len(seen) + len(first) > index.capacity:
        return False
    seen.update(first)
    return True


def finish_merged(result: ScanResult, options: Options, source: str) -> ScanResult:
    """Apply the file-level verdicts to a merged result, as :meth:`Scanner.finish` does."""
    scanner = Scanner(options, source)
    scanner.result = result
    return scanner.finish()
