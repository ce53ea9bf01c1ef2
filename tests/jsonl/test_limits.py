"""Resource limits: linear work on long lines, --max-line-bytes, huge integers, --jobs auto."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.exitcodes import ExitCode
from conformance.jsonl import api, parallel, validate_file, validate_lines
from conformance.jsonl.cli import validate_jsonl_command
from conformance.jsonl.engine import MAX_LINE_BYTES, DuplicateIndex, Options, Scanner, ScanResult
from conformance.jsonl.parse import INT_MAX_DIGITS, HugeIntegerError, loads_exact

GOOD = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}'
BAD = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":7}]}'


def _long_record(size: int) -> bytes:
    """A valid record of exactly ``size`` bytes (one long user message)."""
    head, tail = b'{"messages":[{"role":"user","content":"', b'"},' + GOOD[13:]
    return head + b"a" * (size - len(head) - len(tail)) + tail


def _blocks(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def test_long_line_is_copied_once_not_per_block() -> None:
    """A 4 MB line read in 4 KiB blocks is joined once: 4 MB copied, not ~2 GB of carries."""
    line = _long_record(4_000_000)
    scanner = Scanner(Options(), "mem.jsonl")
    scanner.scan_blocks(_blocks(GOOD + b"\n" + line + b"\n" + BAD + b"\n", 4096))
    result = scanner.finish()
    # The long line, plus the few short lines that straddle a block boundary.
    assert len(line) <= scanner.joined_bytes < len(line) + 3 * len(GOOD)
    assert scanner.peak_held_bytes < len(line)
    assert (result.lines, result.records) == (3, 3)
    assert [(error.line, error.rule) for error in result.errors] == [(3, "SFT-6"), (3, "SFT-S5")]


@settings(deadline=None, max_examples=60)
@given(
    lengths=st.lists(st.integers(0, 3000), min_size=1, max_size=12),
    block=st.integers(1, 700),
    terminated=st.booleans(),
)
def test_block_boundaries_never_change_the_report(
    lengths: list[int], block: int, terminated: bool
) -> None:
    """Any block size gives the report of whole lines, and copies at most the input once."""
    lines = [_long_record(max(n, 120)) if n % 3 else BAD for n in lengths]
    data = b"\n".join(lines) + (b"\n" if terminated else b"")
    scanner = Scanner(Options(max_errors=None), "mem.jsonl")
    scanner.scan_blocks(_blocks(data, block))
    whole = Scanner(Options(max_errors=None), "mem.jsonl")
    whole.scan_blocks([data])
    assert scanner.finish() == whole.finish()
    assert scanner.joined_bytes <= len(data)


_RSS_CHILD = """
import resource, sys
from conformance.jsonl import validate_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = validate_file(sys.argv[1], level=sys.argv[2], max_line_bytes=None)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(report.ok, report.records_checked, (after - before) * 1024)
"""


@pytest.mark.parametrize("level", ["compat", "strict"])
def test_peak_memory_is_a_small_multiple_of_the_longest_line(tmp_path: Path, level: str) -> None:
    """Validating a 40 MB line in a fresh process grows its peak RSS by under 4x the line."""
    line = _long_record(40_000_000)
    path = tmp_path / "long.jsonl"
    path.write_bytes(GOOD + b"\n" + line + b"\n" + GOOD.replace(b"hi", b"ho") + b"\n")
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(path), level],
        capture_output=True,
        text=True,
        check=True,
    )
    ok, records, grown = done.stdout.split()
    assert (ok, records) == ("True", "3")
    assert int(grown) < 4 * len(line)


def test_line_over_the_limit_is_an_error_and_the_rest_is_checked(tmp_path: Path) -> None:
    """A line over max_line_bytes is SFT-LINE with its size; it is not held; later lines count."""
    path = tmp_path / "big.jsonl"
    path.write_bytes(GOOD + b"\n" + _long_record(3_000_000) + b"\n" + BAD + b"\n")
    for level in ("compat", "strict"):
        report = validate_file(path, level=level, max_line_bytes=1_000_000)
        assert (report.lines, report.records_checked) == (3, 3)
        assert [(error.line, error.rule) for error in report.errors][:2] == [
            (2, "SFT-LINE"),
            (3, "SFT-6"),
        ]
        error = report.errors[0]
        assert error.message == (
            "line of 3,000,000 bytes is over the 1,000,000-byte limit (--max-line-bytes); "
            "it was not parsed"
        )
        assert error.fix == (
            "Split the record or drop it; if it is meant to be this large, raise "
            "--max-line-bytes above 3,000,000 (peak memory is about three times the longest "
            "line, plus its parsed form)."
        )
    scanner = Scanner(Options(max_line_bytes=1_000_000), "big.jsonl")
    scanner.scan_blocks(_blocks(path.read_bytes(), 64 * 1024))
    assert scanner.peak_held_bytes <= 1_000_000
    assert validate_file(path, max_line_bytes=None, level="compat").error_count == 1


@pytest.mark.parametrize("where", ["first", "last-unterminated"])
def test_limit_applies_within_a_block_and_at_the_end(tmp_path: Path, where: str) -> None:
    """Short limits are enforced inside one block and on an unterminated last line."""
    data = BAD + b"\n" + GOOD if where == "last-unterminated" else GOOD + b"\n" + BAD + b"\n"
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    report = validate_file(path, level="compat", max_line_bytes=50)
    assert [(error.line, error.rule) for error in report.errors] == [
        (1, "SFT-LINE"),
        (2, "SFT-LINE"),
    ]
    lines = validate_lines([GOOD, BAD], level="compat", max_line_bytes=50)
    assert [(error.line, error.rule) for error in lines.errors] == [
        (1, "SFT-LINE"),
        (2, "SFT-LINE"),
    ]


def test_parallel_ranges_report_long_lines_at_their_line(tmp_path: Path) -> None:
    """With --jobs 2 a line over the limit is reported at its exact line number."""
    lines = [GOOD[:-1] + b',"n":' + str(i).encode() + b"}" + b" " * 300 for i in range(60_000)]
    lines[45_000] = _long_record(2_000_000)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    one = validate_file(path, max_line_bytes=1_000_000)
    two = validate_file(path, max_line_bytes=1_000_000, jobs=2)
    assert two == one
    assert [(error.line, error.rule) for error in one.errors] == [(45_001, "SFT-LINE")]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate_jsonl_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_max_line_bytes_option(tmp_path: Path) -> None:
    """--max-line-bytes takes sizes with units; 0 lifts the limit; the error block is pinned."""
    path = tmp_path / "x.jsonl"
    path.write_bytes(_long_record(3000) + b"\n" + GOOD + b"\n")
    code, out, _ = _run("--max-line-bytes", "2KiB", str(path))
    assert code == ExitCode.NOT_CONFORMING
    assert out.splitlines() == [
        f"{path}:1: line of 3,000 bytes is over the 2,048-byte limit (--max-line-bytes); "
        "it was not parsed [SFT-LINE]",
        "  Expected: a line of at most --max-line-bytes bytes (64 MiB by default)",
        "  Fix:      Split the record or drop it; if it is meant to be this large, raise "
        "--max-line-bytes above 3,000 (peak memory is about three times the longest line, "
        "plus its parsed form).",
        f"{path}: INVALID, 1 error in 2 records (2 lines, 3.1 kB, level strict)",
    ]
    assert _run("--max-line-bytes", "3000", str(path))[0] == ExitCode.OK
    assert _run("--max-line-bytes", "0", str(path))[0] == ExitCode.OK
    assert "[default: 64MiB]" in " ".join(_run("--help")[1].split())
    assert MAX_LINE_BYTES == 64 * 1024 * 1024


HUGE = "9" * 5000


@pytest.mark.parametrize("level", ["compat", "strict"])
def test_huge_integer_is_a_line_error(level: str) -> None:
    """An integer over 4,300 digits is SFT-JSON at its line, as synth-ai fails on it."""
    record = GOOD[:-1].decode() + f',"metadata":{{"n":-{HUGE}}}}}'
    report = validate_lines([GOOD, record, BAD], level=level)  # type: ignore[arg-type]
    first = report.errors[0]
    assert (first.line, first.rule) == (2, "SFT-JSON")
    assert first.message == (
        "invalid JSON (an integer of 5,000 digits; Python's json, which synth-ai uses, "
        "reads at most 4,300)"
    )
    assert first.fix == (
        "Write numbers longer than 4,300 digits as strings: synth-ai fails with ValueError on them."
    )
    assert [error.line for error in report.errors][1] == 3


def test_integer_at_the_limit_is_fine() -> None:
    """An integer of exactly 4,300 digits is accepted, like json.loads does by default."""
    record = GOOD[:-1].decode() + f',"metadata":{{"n":{"9" * INT_MAX_DIGITS}}}}}'
    assert validate_lines([record]).ok


def test_limit_does_not_follow_the_process_setting() -> None:
    """A lifted int_max_str_digits does not lift the limit; a lowered one is named."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(HugeIntegerError) as info:
            loads_exact(HUGE)
        assert (info.value.digits, info.value.limit) == (5000, INT_MAX_DIGITS)
        sys.set_int_max_str_digits(640)
        with pytest.raises(HugeIntegerError) as info:
            loads_exact("7" * 1000)
        assert (info.value.digits, info.value.limit) == (1000, 640)
    finally:
        sys.set_int_max_str_digits(old)


def test_huge_integer_in_tool_arguments(tmp_path: Path) -> None:
    """String tool arguments with a huge integer fail synth-ai: one error at both levels."""
    arguments = orjson.dumps(f'{{"n": {HUGE}}}')
    call = b'{"id":"c1","type":"function","function":{"name":"f","arguments":' + arguments + b"}}"
    record = (
        b'{"messages":[{"role":"user","content":"hi"},'
        b'{"role":"assistant","content":null,"tool_calls":[' + call + b"]},"
        b'{"role":"tool","tool_call_id":"c1","content":"1"},'
        b'{"role":"assistant","content":"done"}]}'
    )
    for level in ("compat", "strict"):
        (error,) = validate_lines([record], level=level).errors
        assert (error.rule, error.json_path) == (
            "SFT-JSON",
            "messages[1].tool_calls[0].function.arguments",
        )
        assert error.message == (
            "tool_call 0 arguments hold an integer of 5,000 digits; Python's json, which "
            "synth-ai uses, reads at most 4,300"
        )
    quoted = record.replace(arguments, orjson.dumps(f'{{"n": "{HUGE}"}}'))
    assert validate_lines([quoted]).ok


def test_cli_reports_huge_integer_without_traceback(tmp_path: Path) -> None:
    """validate-jsonl prints the line's error and exits 1, no traceback."""
    path = tmp_path / "x.jsonl"
    path.write_text(f'{{"messages":[{{"role":"user","content":{HUGE}}}]}}\n')
    code, out, err = _run(str(path))
    assert code == ExitCode.NOT_CONFORMING
    assert out.startswith(f"{path}:1: invalid JSON (an integer of 5,000 digits;")
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("size", "cpus", "jobs"),
    [
        (0, 8, 1),
        (63 * 2**20, 8, 1),
        (64 * 2**20, 8, 2),
        (100 * 10**6, 2, 2),
        (100 * 10**6, 1, 1),
        (200 * 2**20, 4, 4),
        (10 * 2**30, 64, 8),
    ],
)
def test_auto_jobs_rule(size: int, cpus: int, jobs: int) -> None:
    """auto = one worker per 32 MiB, at most the usable CPUs and 8."""
    assert api.auto_jobs(size, cpus) == jobs


def test_cli_chooses_jobs_automatically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the CLI applies the auto rule: here (2 CPUs, a "large" file) two workers."""
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"".join(GOOD[:-1] + b',"n":%d}\n' % i for i in range(40)))
    monkeypatch.setattr(api, "usable_cpus", lambda: 2)
    monkeypatch.setattr(api, "AUTO_JOBS_BYTES", 1000)
    monkeypatch.setattr(api, "MIN_RANGE_BYTES", 1)
    chosen: list[int] = []
    real = parallel.scan_path_parallel

    def spy(path: Path, options: Options, jobs: int, **kwargs: Any) -> ScanResult:
        chosen.append(jobs)
        return real(path, options, jobs, **kwargs)

    monkeypatch.setattr(parallel, "scan_path_parallel", spy)
    code, out, _ = _run(str(path))
    assert (code, chosen) == (ExitCode.OK, [2])
    assert out == f"{path}: OK, 40 records (40 lines, 3.5 kB, level strict)\n"
    chosen.clear()
    assert _run("--jobs", "1", str(path))[0] == ExitCode.OK
    assert chosen == []


def test_usable_cpus_follows_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CPU count is the affinity mask's size where there is one."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert api.usable_cpus() == 3


@settings(deadline=None, max_examples=80)
@given(
    parts=st.lists(st.lists(st.integers(0, 30), max_size=20), min_size=1, max_size=4),
    capacity=st.integers(1, 40),
)
def test_merging_ranges_finds_the_duplicates_one_scan_finds(
    parts: list[list[int]], capacity: int
) -> None:
    """--jobs merging (bulk path or record by record) reports what one index would."""
    options = Options(duplicate_capacity=capacity, max_errors=None)
    results = []
    for digests in parts:
        result = ScanResult(lines=len(digests))
        result.digests.extend(digests)
        result.digest_lines.extend(range(1, len(digests) + 1))
        results.append(result)
    merged = parallel.merge_results(results, options, "x")
    index = DuplicateIndex(capacity)
    expected = []
    for line, digest in enumerate((d for digests in parts for d in digests), start=1):
        first = index.add(digest, line)
        if first is not None:
            expected.append((line, f"record duplicates line {first}"))
    assert [(error.line, error.message) for error in merged.errors] == expected
    assert merged.duplicates == index.duplicates
    assert ("remembered only" in " ".join(merged.notes)) == index.saturated


def test_long_integers_are_reported_as_python_reads_them() -> None:
    """An integer orjson reads as a float is named as the int synth-ai's json.loads gives."""
    big = "123456789012345678901234"
    record = (
        f'{{"messages":[{{"role":"user","content":"hi"}},'
        f'{{"role":"tool","tool_call_id":{big},"content":"x"}},'
        f'{{"role":"assistant","content":{big}}}]}}'
    )
    messages = [error.message for error in validate_lines([record]).errors]
    assert messages[:2] == [
        "message 2 has unsupported content type int",
        f"message 1 tool_call_id '{big}' answers no earlier tool call",
    ]
    ids_only = validate_lines([record.replace(f'"content":{big}', '"content":"ok"')])
    assert f"tool_call_id '{big}'" in ids_only.errors[0].message
