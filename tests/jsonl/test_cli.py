"""The `validate-jsonl` command: outputs, exit codes, paths, usage errors."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from conformance.exitcodes import ExitCode
from conformance.jsonl.cli import validate_jsonl_command

GOOD = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}\n'
BAD = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":7}]}\n'


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate_jsonl_command, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.jsonl").write_bytes(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.jsonl").write_bytes(GOOD + BAD)
    return tmp_path


def test_valid_file_exits_zero(files: Path) -> None:
    """A valid file prints an OK summary and exits 0."""
    code, out, _ = _run(str(files / "good.jsonl"))
    assert code == ExitCode.OK
    assert out == f"{files / 'good.jsonl'}: OK, 1 record (1 line, 82 B, level strict)\n"


def test_invalid_file_exits_one_with_error_block(files: Path) -> None:
    """An invalid record prints location, message, rule, expected and fix; exit 1."""
    path = files / "sub" / "bad.jsonl"
    code, out, _ = _run("--level", "compat", str(path))
    assert code == ExitCode.NOT_CONFORMING
    assert out.splitlines() == [
        f"{path}:2: messages[1].content: message 1 has unsupported content type int [SFT-6]",
        "  Expected: content: null, a string, a list of parts or an object",
        "  Fix:      Serialise numbers and booleans as text, e.g. str(value).",
        f"{path}: INVALID, 1 error in 2 records (2 lines, 161 B, level compat)",
    ]


def test_json_format_is_clean_json(files: Path) -> None:
    """--format json prints exactly one JSON document on stdout."""
    code, out, _ = _run("--format", "json", str(files))
    assert code == ExitCode.NOT_CONFORMING
    document = orjson.loads(out)
    assert document["valid"] is False
    assert document["totals"]["files"] == 2
    assert [f["files"][0] for f in document["files"]] == [
        str(files / "good.jsonl"),
        str(files / "sub" / "bad.jsonl"),
    ]


def test_glob_and_stdin(files: Path) -> None:
    """Glob patterns expand (** recursive) and - reads standard input."""
    code, out, _ = _run(str(files / "**" / "*.jsonl"), "--max-errors", "1")
    assert code == ExitCode.NOT_CONFORMING
    assert out.splitlines()[-1].startswith("total: 2 files, 1 invalid")
    code, out, _ = _run("-", stdin=GOOD)
    assert (code, out) == (0, "<stdin>: OK, 1 record (1 line, 82 B, level strict)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/x.jsonl"], "Error: no such file or directory: /nonexistent/x.jsonl"),
        (["/nonexistent/*.jsonl"], "Error: no file matches /nonexistent/*.jsonl"),
        (
            ["--jobs", "0", "x"],
            "Error: Invalid value for '--jobs' / '-j': '0' is not 'auto' or a whole number >= 1",
        ),
        (
            ["--max-line-bytes", "12XB", "x"],
            "Error: Invalid value for '--max-line-bytes': '12XB' is not a size "
            "(examples: 67108864, 64MiB, 200MB, 1GiB)",
        ),
        (
            ["--level", "loose", "x"],
            "Error: Invalid value for '--level': 'loose' is not one of 'compat', 'strict'.",
        ),
        ([], "Error: Missing argument 'PATH...'."),
        (
            ["--level", "compat", "--max-chars", "9", "x"],
            "Error: --max-chars and --max-tokens apply to --level strict only",
        ),
    ],
    ids=[
        "missing",
        "no-match",
        "bad-jobs",
        "bad-line-size",
        "bad-level",
        "no-path",
        "limits-need-strict",
    ],
)
def test_usage_errors_are_one_line_exit_two(args: list[str], message: str) -> None:
    """Usage errors print one line on stderr, no traceback, and exit 2."""
    code, out, err = _run(*args)
    assert code == ExitCode.USAGE
    assert out == ""
    assert err == message + "\n"


def test_empty_directory_is_usage_error(tmp_path: Path) -> None:
    """A directory without .jsonl files is a usage error."""
    code, _, err = _run(str(tmp_path))
    assert code == ExitCode.USAGE
    assert err == f"Error: no .jsonl files under directory {tmp_path}\n"


def test_help_teaches() -> None:
    """--help shows examples, both levels and the exit codes."""
    code, out, _ = _run("--help")
    assert code == 0
    for text in (
        "Examples:",
        "validate-jsonl -",
        "compat",
        "strict",
        "Exit codes:",
        "2  usage error",
    ):
        assert text in out


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    """A named pipe is named as such (exit 2), not reported as a missing file."""
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    code, out, err = _run(str(fifo))
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        f"Error: not a regular file: {fifo} is a named pipe (FIFO); "
        "to read it, pass - and redirect the pipe to stdin\n"
    )


def test_device_and_broken_link_are_not_regular_files(tmp_path: Path) -> None:
    """A character device and a dangling symlink each get their own one-line usage error."""
    link = tmp_path / "gone.jsonl"
    link.symlink_to(tmp_path / "missing.jsonl")
    assert _run(os.devnull)[2] == f"Error: not a regular file: {os.devnull} is a character device\n"
    code, _, err = _run(str(link))
    assert code == ExitCode.USAGE
    assert err == f"Error: not a regular file: {link} is a broken symbolic link\n"
