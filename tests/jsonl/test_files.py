"""File-level behaviour: every line, BOM, CRLF, truncation, empty files, caps, jobs."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from conformance.jsonl import validate_file, validate_lines, validate_stream
from conformance.jsonl.engine import Options, Scanner
from tests.jsonl.baseline import collect_sft_jsonl_errors

GOOD = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}'


def _good(i: int) -> bytes:
    return GOOD[:-1] + b',"id":' + str(i).encode() + b"}"


def _write(tmp_path: Path, data: bytes, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _messages(path: Path, level: str = "compat") -> list[str]:
    report = validate_file(path, level=level, max_errors=None)  # type: ignore[arg-type]
    return [error.synth_text for error in report.errors]


def test_invalid_line_after_fifty_valid_ones(tmp_path: Path) -> None:
    """Line 51 is checked (synth-ai's validate_training_jsonl samples only 50)."""
    data = b"".join(_good(i) + b"\n" for i in range(50)) + b'{"messages": 3}\n'
    path = _write(tmp_path, data)
    assert _messages(path) == ["Line 51: missing messages[] list"]
    assert _messages(path, "strict") == ["Line 51: missing messages[] list"]


def test_blank_lines_count_but_are_skipped(tmp_path: Path) -> None:
    """Line numbers are physical and 1-based; blank and whitespace-only lines are skipped."""
    path = _write(tmp_path, b"\n" + _good(1) + b"\n  \n\t\n[]\n")
    report = validate_file(path, level="compat")
    assert (report.lines, report.records_checked) == (5, 2)
    assert _messages(path) == ["Line 5: record is not an object"]


def test_crlf_is_fine(tmp_path: Path) -> None:
    """CRLF line endings are accepted at both levels."""
    path = _write(tmp_path, _good(1) + b"\r\n" + _good(2) + b"\r\n")
    assert validate_file(path).ok
    assert validate_file(path, level="compat").ok


def test_bom_is_an_error(tmp_path: Path) -> None:
    """A UTF-8 BOM is rejected with json's own message, as synth-ai does."""
    path = _write(tmp_path, b"\xef\xbb\xbf" + GOOD + b"\n")
    report = validate_file(path, level="compat")
    (error,) = report.errors
    assert error.rule == "SFT-BOM"
    assert (
        error.synth_text == "Line 1: invalid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig))"
    )
    assert error.fix.startswith("Save the file as UTF-8 without BOM")


def test_invalid_utf8_is_an_error(tmp_path: Path) -> None:
    """Invalid UTF-8 is reported at its line (synth-ai itself crashes with UnicodeDecodeError)."""
    path = _write(tmp_path, GOOD + b"\n" + b'{"messages": "\xff"}\n')
    (error,) = validate_file(path, level="compat").errors
    assert (error.line, error.rule) == (2, "SFT-UTF8")
    assert error.message == "invalid UTF-8 (invalid start byte at byte 15 of the line)"
    with pytest.raises(UnicodeDecodeError):
        collect_sft_jsonl_errors(path, min_messages=2)


def test_truncated_last_line(tmp_path: Path) -> None:
    """A last line cut mid-record is SFT-TRUNC with synth-ai's JSON message and a clear fix."""
    path = _write(tmp_path, GOOD + b"\n" + GOOD[:30])
    (error,) = validate_file(path, level="compat").errors
    assert (error.line, error.rule) == (2, "SFT-TRUNC")
    assert error.message == "invalid JSON (Unterminated string starting at)"
    assert error.fix.startswith("The file ends in the middle of a record")


def test_complete_last_line_without_newline_is_fine(tmp_path: Path) -> None:
    """A complete last record without a final newline is valid."""
    assert validate_file(_write(tmp_path, GOOD)).ok


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    """A file without records is an error, in synth-ai's words."""
    path = _write(tmp_path, data)
    for level in ("compat", "strict"):
        (error,) = validate_file(path, level=level).errors
        assert (error.line, error.rule, error.message) == (
            None,
            "SFT-EMPTY",
            "File contains no SFT examples",
        )
    assert collect_sft_jsonl_errors(path) == ["File contains no SFT examples"]


def test_nan_and_huge_numbers_follow_json_loads(tmp_path: Path) -> None:
    """NaN is accepted and a huge integer is an `int`, as with Python's json.loads."""
    nan = GOOD[:-1] + b',"metadata":{"x":NaN}}'
    huge = GOOD.replace(b'"ok"', b"123456789012345678901234567890")
    path = _write(tmp_path, nan + b"\n" + huge + b"\n")
    assert _messages(path) == ["Line 2: message 1 has unsupported content type int"]


def test_bare_carriage_return_splits_like_synth_ai(tmp_path: Path) -> None:
    """A bare CR ends a line for synth-ai's text-mode reader; we agree, and strict flags it."""
    path = _write(tmp_path, b'{"messages":\r[]}\n' + GOOD + b"\n")
    assert _messages(path) == [
        "Line 1: invalid JSON (Expecting value)",
        "Line 1: invalid JSON (Extra data)",
    ]
    # Same verdicts; synth-ai numbers the piece after the CR as a line of its own.
    assert collect_sft_jsonl_errors(path, min_messages=2) == [
        "Line 1: invalid JSON (Expecting value)",
        "Line 2: invalid JSON (Extra data)",
    ]
    strict = validate_file(path).errors
    assert strict[0].rule == "SFT-S12"
    assert strict[0].message == "line contains a bare carriage return at byte 13"


def test_error_list_is_capped_but_counted(tmp_path: Path) -> None:
    """--max-errors caps the list; error_count is the total."""
    path = _write(tmp_path, b"[]\n" * 120)
    report = validate_file(path, level="compat", max_errors=5)
    assert report.error_count == 120
    assert [error.line for error in report.errors] == [1, 2, 3, 4, 5]
    assert report.truncated


def test_duplicates_reported_in_strict_only(tmp_path: Path) -> None:
    """Identical records are SFT-S9 in strict and counted; compat (synth-ai) accepts them."""
    path = _write(tmp_path, GOOD + b"\n" + _good(1) + b"\n" + GOOD + b"  \r\n")
    report = validate_file(path)
    assert report.duplicates == 1
    assert [error.synth_text for error in report.errors] == ["Line 3: record duplicates line 1"]
    assert validate_file(path, level="compat").ok


def test_parallel_jobs_match_single_process(tmp_path: Path) -> None:
    """--jobs 2 gives the same errors, exact line numbers and duplicates as one process."""
    lines = []
    for i in range(40_000):
        if i % 997 == 0:
            lines.append(b'{"messages": [{"role": "user"}]}')
        elif i % 1231 == 0:
            lines.append(_good(7))
        elif i % 1500 == 0:
            lines.append(b"")
        else:
            lines.append(_good(i) + b" " * 400)
    path = _write(tmp_path, b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 2 * 8 * 1024 * 1024
    for level in ("compat", "strict"):
        one = validate_file(path, level=level, max_errors=None)
        two = validate_file(path, level=level, max_errors=None, jobs=2)
        assert two == one
        assert one.error_count > 40


def test_stream_and_lines_entry_points() -> None:
    """validate_stream reads a binary stream; validate_lines takes str or bytes items."""
    report = validate_stream(io.BytesIO(GOOD + b"\n[]\n"), level="compat")
    assert [error.synth_text for error in report.errors] == ["Line 2: record is not an object"]
    assert report.files == ("<stdin>",)
    report = validate_lines([GOOD.decode(), b"", orjson.dumps({"messages": 1}) + b"\n"])
    assert [error.synth_text for error in report.errors] == ["Line 3: missing messages[] list"]


def test_missing_path_raises(tmp_path: Path) -> None:
    """A missing file or a directory is an OSError, not a report."""
    with pytest.raises(FileNotFoundError):
        validate_file(tmp_path / "nope.jsonl")
    with pytest.raises(IsADirectoryError):
        validate_file(tmp_path)


def test_bad_options_raise() -> None:
    """Invalid options are ValueErrors with a clear message."""
    with pytest.raises(ValueError, match="level must be one of compat, strict, got 'loose'"):
        validate_lines([], level="loose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_messages must be >= 0, got -1"):
        validate_lines([], min_messages=-1)


def test_duplicate_index_capacity_is_reported() -> None:
    """Past its capacity the duplicate index stops growing and the report says so."""
    scanner = Scanner(Options(duplicate_capacity=2), "mem.jsonl")
    scanner.scan_blocks([b"".join(_good(i) + b"\n" for i in range(3)) + _good(2) + b"\n"])
    result = scanner.finish()
    assert result.duplicates == 0
    assert result.notes == [
        "duplicate detection remembered only the first 2 distinct records; "
        "later ones are checked against those only"
    ]
