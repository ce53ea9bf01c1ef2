"""The streaming core: split bytes into physical lines, parse, apply the rules, collect.

Time is linear in the input and memory is bounded by the longest line, not the file:
the input is read in ``BLOCK_SIZE`` blocks, each block is split on ``\\n`` once, and a
line that spans blocks is appended to one growing buffer that becomes the line (one
copy) when its end arrives, never a carry re-joined with every block. Peak memory is
about three times the longest line (the line, orjson's working copy of it and the parsed
text; more when the line is many small values, 4.6 times for a one-line array of
records), plus the capped error list and the duplicate index (see
:data:`DUPLICATE_CAPACITY`). A line longer
than ``max_line_bytes`` (:data:`MAX_LINE_BYTES` by default) is not kept at all: its bytes
are counted and dropped, and it is reported as ``SFT-LINE`` with its size; the lines
after it are validated as usual. Line numbers are physical and 1-based, blank lines
counted.

Parsing uses ``orjson`` and falls back to the stdlib ``json`` module whenever orjson
refuses a line (:mod:`conformance.jsonl.parse` sets both parsers' limits), so the verdict
follows Python ``json.loads`` semantics exactly as synth-ai does: ``NaN``/``Infinity``,
lone surrogate escapes and integers of up to 4,300 digits are accepted, Unicode
whitespace around a record is ignored, a BOM is an error. Like synth-ai's text-mode
reader, a bare ``\\r`` ends a line (the pieces are validated separately and ``strict``
flags it).

Where the ``compat`` verdict is the same but the report differs from synth-ai's:

* line numbers are physical (``\\n``-separated); after a bare CR synth-ai counts one
  more line per CR;
* invalid UTF-8 is ``SFT-UTF8`` at its line; synth-ai raises ``UnicodeDecodeError``;
* JSON nested deeper than Python's recursion limit is ``SFT-JSON`` (nesting too deep);
  synth-ai raises ``RecursionError``;
* an integer of more than 4,300 digits is ``SFT-JSON``; synth-ai raises ``ValueError``.

Where it differs: a line over ``max_line_bytes`` is an error (``SFT-LINE``) that
synth-ai, which reads any line whole, does not have. A bare CR does not end a line for
this limit.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json import JSONDecodeError
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson

from conformance.jsonl.model import RULES, JsonlError, Level
from conformance.jsonl.parse import LONG_DIGIT_RUN, HugeIntegerError, loads_exact
from conformance.jsonl.rules_compat import (
    Finding,
    first_compat_finding,
    iter_compat_findings,
)
from conformance.jsonl.rules_strict import NO_LIMITS, Limits, iter_strict_findings, strict_clean

BLOCK_SIZE = 256 * 1024
"""Bytes read per I/O call."""

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Default ``max_line_bytes``: longer lines are ``SFT-LINE`` errors, counted but not parsed.

64 MiB is some 100 times the longest real SFT record (a 128k-token conversation is about
0.5 MB of text; a record with a dozen base64 images a few MB), and keeps the peak memory
of one line (about three times the line) to about 200 MB."""

DUPLICATE_CAPACITY = 1_000_000
"""Distinct records remembered for duplicate detection (about 100 bytes each, so at most
~100 MB); records beyond it are still checked against the remembered ones."""

DigestKind = Literal["hash", "sha1"]
ProgressCallback = Callable[[int], None]

_loads = orjson.loads
_OrjsonError = orjson.JSONDecodeError


@dataclass(frozen=True, slots=True)
class Options:
    """Validation settings shared by every entry point (and pickled to ``--jobs`` workers)."""

    level: Level = "strict"
    min_messages: int = 2
    max_errors: int | None = 50
    limits: Limits = NO_LIMITS
    detect_duplicates: bool = True
    duplicate_capacity: int = DUPLICATE_CAPACITY
    max_line_bytes: int | None = MAX_LINE_BYTES

    @property
    def strict(self) -> bool:
        """True for the ``strict`` level."""
        return self.level == "strict"

    @property
    def dedupe(self) -> bool:
        """True when duplicate records are reported (``strict`` only)."""
        return self.level == "strict" and self.detect_duplicates


def make_error(source: str, line: int | None, finding: Finding, fix_suffix: str = "") -> JsonlError:
    """Turn an internal finding into a public :class:`JsonlError` with the rule's advice."""
    rule = RULES[finding.rule]
    fix = finding.fix if finding.fix is not None else rule.fix
    return JsonlError(
        path=source,
        line=line,
        json_path=finding.json_path,
        message=finding.message,
        expected=rule.expected,
        fix=fix + fix_suffix,
        rule=finding.rule,
    )


def record_findings(record: Any, options: Options) -> list[Finding]:
    """All findings for one parsed record at ``options.level`` (compat: at most one)."""
    if not options.strict:
        first = first_compat_finding(record, options.min_messages)
        return [] if first is None else [first]
    if strict_clean(record, options.min_messages, options.limits):
        return []
    findings = list(iter_compat_findings(record, options.min_messages, strict=True))
    findings.extend(iter_strict_findings(record, options.limits))
    return findings


def _digest(data: bytes, kind: DigestKind) -> int:
    if kind == "hash":
        return hash(data)
    import hashlib  # only where workers are spawned, not forked; it loads OpenSSL

    return int.from_bytes(hashlib.sha1(data, usedforsecurity=False).digest()[:8], "little")


class DuplicateIndex:
    """Remembers the first line of each distinct record (by 64-bit digest of its bytes).

    Digests are Python's ``hash()`` of the stripped line (per-process; ``--jobs`` workers
    are forked so they share it) or the first 8 bytes of its SHA-1. A collision (odds
    ~n²/2⁶⁵) would report a false duplicate. Records that differ only in key order or
    whitespace inside the line are not duplicates.
    """

    def __init__(self, capacity: int = DUPLICATE_CAPACITY) -> None:
        self.first_lines: dict[int, int] = {}
        """Digest -> first line; the scanner's hot path reads and fills it directly."""
        self._first = self.first_lines
        self.capacity = capacity
        self.duplicates = 0

    @property
    def saturated(self) -> bool:
        """True once the index stopped remembering new records (capacity reached)."""
        return len(self._first) >= self.capacity

    def add(self, digest: int, line: int) -> int | None:
        """Record ``digest`` seen at ``line``; return the earlier line if it is a repeat."""
        first = self._first.get(digest)
        if first is not None:
            self.duplicates += 1
            return first
        if len(self._first) < self.capacity:
            self._first[digest] = line
        return None


@dataclass(slots=True)
class ScanResult:
    """What one scan (a whole stream, or one ``--jobs`` byte range) found.

    Line numbers in ``errors`` and ``digest_lines`` are relative to the scan's first line.
    """

    lines: int = 0
    records: int = 0
    bytes: int = 0
    error_count: int = 0
    errors: list[JsonlError] = field(default_factory=list)
    duplicates: int = 0
    digests: array[int] = field(default_factory=lambda: array("q"))
    digest_lines: array[int] = field(default_factory=lambda: array("q"))
    notes: list[str] = field(default_factory=list)


class Scanner:
    """Validates physical lines one by one; holds the counters and the capped error list.

    ``collect_digests`` makes the scanner hand its record digests back (``--jobs``
    workers) instead of detecting duplicates itself. Two counters show that the work on
    long lines is linear: ``joined_bytes`` (bytes copied to assemble lines that span
    blocks; at most the input size) and ``peak_held_bytes`` (the most bytes held for an
    unfinished line; at most ``max_line_bytes``).
    """

    def __init__(
        self,
        options: Options,
        source: str,
        *,
        collect_digests: bool = False,
        digest_kind: DigestKind = "hash",
    ) -> None:
        self.options = options
        self.source = source
        self.result = ScanResult()
        self._cap = options.max_errors
        self._dedupe = options.dedupe
        self._collect = collect_digests
        self._digest_kind: DigestKind = digest_kind
        self._index = DuplicateIndex(options.duplicate_capacity)
        # Hot-path copies of the options (attribute lookups cost on every line).
        self._strict = options.strict
        self._min_messages = options.min_messages
        self._limits = options.limits
        self._inline_dedupe = not collect_digests and digest_kind == "hash"
        self._seen = self._index.first_lines
        self._capacity = options.duplicate_capacity
        self._max_line = options.max_line_bytes
        self.joined_bytes = 0
        self.peak_held_bytes = 0

    # -- bookkeeping -------------------------------------------------------------------
    def add(self, error: JsonlError) -> None:
        """Count an error; keep it if the list is not full yet."""
        result = self.result
        result.error_count += 1
        if self._cap is None or len(result.errors) < self._cap:
            result.errors.append(error)

    def _add_findings(self, findings: list[Finding], line: int, fix_suffix: str = "") -> None:
        for finding in findings:
            self.add(make_error(self.source, line, finding, fix_suffix))

    # -- lines ---------------------------------------------------------------------------
    def scan_blocks(
        self,
        blocks: Iterable[bytes],
        *,
        final: bool = True,
        progress: ProgressCallback | None = None,
    ) -> ScanResult:
        """Validate a stream given as raw byte blocks; ``final`` = it ends the file.

        Each block is split on ``\\n`` once. The unfinished line at the end of a block is
        appended to one growing buffer (never re-joined with each new block) that becomes
        the line, one copy, when its newline arrives; past ``max_line_bytes`` the buffer
        is emptied and only the line's size is counted.
        """
        result = self.result
        lineno = result.lines
        feed_lines = self._feed_lines
        limit = self._max_line
        held = bytearray()  # the unfinished line (emptied past the limit)
        held_size = 0  # its size so far, counted even when dropped
        for raw_block in blocks:
            result.bytes += len(raw_block)
            if progress is not None:
                progress(len(raw_block))
            lines = raw_block.split(b"\n")
            tail = lines.pop()
            if not lines:  # no newline: the unfinished line goes on
                held_size = self._hold(held, held_size, tail)
                continue
            if held_size:
                lineno += 1
                self._finish_line(held, held_size, lines[0], lineno, unterminated=False)
                del lines[0]
            if b"\r" in raw_block or (limit is not None and len(raw_block) > limit):
                for line in lines:
                    lineno += 1
                    self._checked_line(line, lineno)
            else:
                lineno = feed_lines(lines, lineno)
            held.clear()
            held_size = self._hold(held, 0, tail) if tail else 0
        if held_size:
            lineno += 1
            self._finish_line(held, held_size, b"", lineno, unterminated=final)
        result.lines = lineno
        return result

    def _hold(self, held: bytearray, size: int, piece: bytes) -> int:
        """Append ``piece`` to the unfinished line; drop the line once it is over the limit."""
        size += len(piece)
        if self._max_line is not None and size > self._max_line:
            held.clear()
        else:
            held += piece
            self.peak_held_bytes = max(self.peak_held_bytes, size)
        return size

    def _finish_line(
        self, held: bytearray, size: int, end: bytes, lineno: int, *, unterminated: bool
    ) -> None:
        """Validate a line that spanned blocks: ``held`` then ``end``, made bytes once."""
        size += len(end)
        if self._max_line is not None and size > self._max_line:
            held.clear()
            self.too_long(lineno, size)
            return
        held += end
        line = bytes(held)
        held.clear()  # free the buffer (one allocation, given back whole) before parsing
        self.joined_bytes += len(line)
        self.scan_line(line, lineno, unterminated=unterminated)

    def _checked_line(self, line: bytes, lineno: int) -> None:
        if self._max_line is not None and len(line) > self._max_line:
            self.too_long(lineno, len(line))
        else:
            self.scan_line(line, lineno)

    def too_long(self, lineno: int, size: int) -> None:
        """Report a line over ``max_line_bytes`` (``SFT-LINE``); it counts as a record."""
        self.result.records += 1
        self.add(make_error(self.source, lineno, too_long_finding(size, self._max_line or 0)))

    def scan_line(self, line: bytes, lineno: int, *, unterminated: bool = False) -> None:
        """Validate one physical line, splitting it at bare CRs as synth-ai would."""
        cr = line.find(b"\r")
        if cr == -1 or cr == len(line) - 1:
            self.feed(line, lineno, unterminated=unterminated)
            return
        # synth-ai reads with universal newlines: a bare CR splits the physical line.
        if self.options.strict:
            where = Finding(
                "SFT-S12",
                "",
                f"line contains a bare carriage return at byte {cr + 1}",
            )
            self.add(make_error(self.source, lineno, where))
        pieces = line.split(b"\r")
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            self.feed(piece, lineno, unterminated=unterminated and last, dedupe=False)

    def feed(
        self, line: bytes, lineno: int, *, unterminated: bool = False, dedupe: bool = True
    ) -> None:
        """Validate one physical line (without its ``\\n``; a trailing ``\\r`` is fine)."""
        try:
            record = _loads(line)
        except _OrjsonError:
            self._feed_slow(line, lineno, unterminated, dedupe)
            return
        self.result.records += 1
        if self._strict:
            if not strict_clean(record, self._min_messages, self._limits):
                self._check_record(record, line, lineno)
            if self._dedupe and dedupe:
                if self._inline_dedupe:
                    digest = hash(line.strip())
                    first = self._seen.get(digest)
                    if first is not None:
                        self._report_duplicate(first, lineno)
                    elif len(self._seen) < self._capacity:
                        self._seen[digest] = lineno
                else:
                    self._note_digest(line, lineno)
        elif first_compat_finding(record, self._min_messages) is not None:
            self._check_record(record, line, lineno)

    def _feed_lines(self, lines: list[bytes], lineno: int) -> int:
        """:meth:`feed` each line (none holds a CR); return the last line number.

        The common case, a line orjson parses into a clean record, is inlined here: this
        loop is where the time of a file of short records goes.
        """
        if not self._strict:
            return self._feed_lines_compat(lines, lineno)
        if not self._dedupe or self._digest_kind != "hash":
            for line in lines:
                lineno += 1
                self.feed(line, lineno)
            return lineno
        loads, error, clean = _loads, _OrjsonError, strict_clean
        min_messages, limits = self._min_messages, self._limits
        seen, capacity, collect = self._seen, self._capacity, self._collect
        digests, digest_lines = self.result.digests, self.result.digest_lines
        records = 0
        for line in lines:
            lineno += 1
            try:
                record = loads(line)
            except error:
                self._feed_slow(line, lineno, False, True)
                continue
            records += 1
            if not clean(record, min_messages, limits):
                self._check_record(record, line, lineno)
            digest = hash(line.strip())
            if collect:
                digests.append(digest)
                digest_lines.append(lineno)
                continue
            first = seen.get(digest)
            if first is not None:
                self._report_duplicate(first, lineno)
            elif len(seen) < capacity:
                seen[digest] = lineno
        self.result.records += records
        return lineno

    def _feed_lines_compat(self, lines: list[bytes], lineno: int) -> int:
        loads, error, first_finding = _loads, _OrjsonError, first_compat_finding
        min_messages = self._min_messages
        records = 0
        for line in lines:
            lineno += 1
            try:
                record = loads(line)
            except error:
                self._feed_slow(line, lineno, False, True)
                continue
            records += 1
            if first_finding(record, min_messages) is not None:
                self._check_record(record, line, lineno)
        self.result.records += records
        return lineno

    def _check_record(self, record: Any, line: bytes, lineno: int) -> None:
        """Report the findings of a record orjson parsed, exactly as the stdlib parse gives
        them. orjson reads an integer of 19+ digits as a float, which a message shows as
        ``type float`` (``SFT-6``) or in a value's repr (``1.2e+22``: roles, ids, part
        types); only then is the line searched for such an integer and parsed again."""
        findings = record_findings(record, self.options)
        if any(
            "e+" in finding.message or finding.message.endswith("type float")
            for finding in findings
        ) and (LONG_DIGIT_RUN.search(line) is not None):
            findings = record_findings(loads_exact(line.decode("utf-8").strip()), self.options)
        self._add_findings(findings, lineno)

    def _report_duplicate(self, first: int, lineno: int) -> None:
        self._index.duplicates += 1
        self.result.duplicates += 1
        self.add(make_error(self.source, lineno, duplicate_finding(first)))

    def _note_digest(self, line: bytes, lineno: int) -> None:
        digest = _digest(line.strip(), self._digest_kind)
        if self._collect:
            self.result.digests.append(digest)
            self.result.digest_lines.append(lineno)
            return
        first = self._index.add(digest, lineno)
        if first is not None:
            self.result.duplicates += 1
            self.add(make_error(self.source, lineno, duplicate_finding(first)))

    def _feed_slow(self, line: bytes, lineno: int, unterminated: bool, dedupe: bool) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.result.records += 1
            finding = Finding(
                "SFT-UTF8", "", f"invalid UTF-8 ({exc.reason} at byte {exc.start + 1} of the line)"
            )
            self.add(make_error(self.source, lineno, finding))
            return
        stripped = text.strip()
        if not stripped:
            return
        self.result.records += 1
        try:
            record = loads_exact(stripped)
        except JSONDecodeError as exc:
            rule = "SFT-JSON"
            if exc.msg.startswith("Unexpected UTF-8 BOM"):
                rule = "SFT-BOM"
            elif unterminated:
                rule = "SFT-TRUNC"
            finding = Finding(rule, "", f"invalid JSON ({exc.msg})")
            suffix = f" The parser stopped at column {exc.colno}."
            self.add(make_error(self.source, lineno, finding, suffix))
            return
        except RecursionError:
            self.add(make_error(self.source, lineno, Finding("SFT-JSON", "", _TOO_DEEP)))
            return
        except HugeIntegerError as exc:
            finding = Finding("SFT-JSON", "", exc.message, exc.fix)
            self.add(make_error(self.source, lineno, finding))
            return
        findings = record_findings(record, self.options)
        if findings:
            self._add_findings(findings, lineno)
        if self._dedupe and dedupe:
            self._note_digest(line, lineno)

    def finish(self) -> ScanResult:
        """Add the file-level verdicts (empty file) and return the result."""
        if self.result.records == 0:
            self.add(make_error(self.source, None, empty_finding()))
        if self._index.saturated:
            self.result.notes.append(saturation_note(self.options.duplicate_capacity))
        return self.result


_TOO_DEEP = "invalid JSON (nesting too deep)"


def duplicate_finding(first_line: int) -> Finding:
    """The ``SFT-S9`` finding for a record that repeats ``first_line``."""
    return Finding("SFT-S9", "", f"record duplicates line {first_line}")


def saturation_note(capacity: int) -> str:
    """The report note when duplicate detection hit :data:`DUPLICATE_CAPACITY`."""
    return (
        f"duplicate detection remembered only the first {capacity:,} distinct records; "
        "later ones are checked against those only"
    )


def too_long_finding(size: int, limit: int) -> Finding:
    """The ``SFT-LINE`` finding for a line of ``size`` bytes over ``limit``."""
    return Finding(
        "SFT-LINE",
        "",
        f"line of {size:,} bytes is over the {limit:,}-byte limit (--max-line-bytes); "
        "it was not parsed",
        f"Split the record or drop it; if it is meant to be this large, raise "
        f"--max-line-bytes above {size:,} (peak memory is about three times the longest "
        "line, plus its parsed form).",
    )


def empty_finding() -> Finding:
    """The file-level ``SFT-EMPTY`` finding, in synth-ai's words."""
    return Finding("SFT-EMPTY", "", "File contains no SFT examples")


def iter_file_blocks(
    handle: BinaryIO, start: int = 0, end: int | None = None, block_size: int = BLOCK_SIZE
) -> Iterator[bytes]:
    """Yield blocks of ``handle`` from byte ``start`` up to ``end`` (or EOF)."""
    if start:
        handle.seek(start)
    remaining = -1 if end is None else end - start
    while remaining != 0:
        size = block_size if remaining < 0 else min(block_size, remaining)
        block = handle.read(size)
        if not block:
            return
        if remaining > 0:
            remaining -= len(block)
        yield block


def scan_path(
    path: Path,
    options: Options,
    *,
    source: str,
    progress: ProgressCallback | None = None,
) -> ScanResult:
    """Validate a whole file in this process."""
    scanner = Scanner(options, source)
    with path.open("rb", buffering=0) as handle:
        scanner.scan_blocks(iter_file_blocks(handle), progress=progress)
    return scanner.finish()
