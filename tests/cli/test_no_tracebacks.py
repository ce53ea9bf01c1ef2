"""No command ever answers a user's mistake or a hostile file with a traceback.

Every command is fed drawn combinations of hostile files (binary, invalid UTF-8, huge
integers, deep nesting, a directory, a missing path, an empty file, a TOML that is not
TOML, config tables with wrong types) and hostile arguments; each run must end with a
documented exit code and its own message, never Python's traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cli import main

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4}

_DEEP = "[" * 5000 + "]" * 5000
HOSTILE_FILES: dict[str, bytes | None] = {
    "binary.jsonl": bytes(range(256)) * 4,
    "bad-utf8.jsonl": b'{"messages": "\xff\xfe"}\n',
    "huge-int.jsonl": b'{"messages": [], "n": ' + b"9" * 5000 + b"}\n",
    "deep.jsonl": _DEEP.encode() + b"\n",
    "deep-record.jsonl": b'{"messages": ' + _DEEP.encode() + b"}\n",
    "empty.jsonl": b"",
    "not-toml.toml": b"[[[ this is = not toml\n\x00",
    "wrong-types.toml": (
        b"[tool.taskapp-conformance]\ntimeout = [1, 2]\nselect = 5\n"
        b"[filter]\ndb = 5\noutput = []\n[job]\nmodel = 7\ndata = 9\n"
        b'[algorithm]\ntype = 1\n[hyperparameters]\nn_epochs = "many"\n'
    ),
    "huge-int.toml": b'[job]\ndata = "huge-int.jsonl"\nmodel = ' + b"9" * 5000 + b"\n",
    "a-directory": None,
}
MISSING = "does/not/exist.jsonl"

_ONE_CHECK = ["--select", "EP-1", "--no-fuzz"]  # a run that gets going stays short
COMMANDS: dict[str, list[list[str]]] = {
    "check": [
        ["--config", "{file}", *_ONE_CHECK],
        ["--baseline", "{file}", *_ONE_CHECK],
        ["--app", "{arg}", "--api-key", "k", *_ONE_CHECK],
        ["{arg}", "--api-key", "k", "--timeout", "{arg}", *_ONE_CHECK],
        ["--rollout-config", "{arg}", *_ONE_CHECK],
        ["--select", "{arg}", "--ignore", "{arg}", "--no-fuzz"],
        ["--max-response-bytes", "{arg}", *_ONE_CHECK],
        ["--migration-report", "{arg}", "--migration-report-out", "{file}", *_ONE_CHECK],
    ],
    "validate-jsonl": [
        ["{file}"],
        ["{file}", "--jobs", "{arg}"],
        ["{file}", "--max-errors", "{arg}"],
    ],
    "validate-sft-config": [["{file}"], ["{file}", "--dataset", "{file}"]],
    "sft-submit": [
        ["--config", "{file}", "--dry-run"],
        ["--config", "{file}", "--dataset", "{file}", "--dry-run"],
    ],
    "filter": [["--config", "{file}"]],
    "openapi": [["--format", "{arg}"]],
    "list-checks": [["--format", "{arg}"], ["--profile", "{arg}"]],
}
HOSTILE_ARGS = [
    "",
    "-1",
    "0",
    "nan",
    "1e999",
    "9" * 400,
    "\x00",
    "../../etc/passwd",
    "ftp://host",
    "http://[::1",
    "http://127.0.0.1:0",
    "a:b:c",
    "{",
    "[1]",
    "\u202eevil",
    "--",
]


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding every hostile file."""
    root = tmp_path_factory.mktemp("hostile")
    for name, content in HOSTILE_FILES.items():
        if content is None:
            (root / name).mkdir()
        else:
            (root / name).write_bytes(content)
    return root


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    pick=st.integers(min_value=0, max_value=10),
    files=st.lists(st.sampled_from([*sorted(HOSTILE_FILES), MISSING]), min_size=2, max_size=2),
    args=st.lists(st.sampled_from(HOSTILE_ARGS), min_size=2, max_size=2),
)
def test_hostile_files_and_arguments_never_give_a_traceback(
    hostile_dir: Path, command: str, pick: int, files: list[str], args: list[str]
) -> None:
    """Any command with hostile files and arguments ends in a documented code, no traceback."""
    shapes = COMMANDS[command]
    shape = shapes[pick % len(shapes)]
    file_values, arg_values = iter(files), iter(args)
    argv = [
        next(file_values) if part == "{file}" else next(arg_values) if part == "{arg}" else part
        for part in shape
    ]
    result = CliRunner().invoke(
        main, [command, *argv], env={"ENVIRONMENT_API_KEY": None}, catch_exceptions=True
    )
    shown = json.dumps([command, *argv])
    assert "Traceback" not in result.output, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        shown,
        repr(result.exception),
    )
    assert result.exit_code in DOCUMENTED_EXIT_CODES, (shown, result.output)


@pytest.fixture(autouse=True)
def _in_hostile_dir(hostile_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative file names resolve inside the hostile directory."""
    monkeypatch.chdir(hostile_dir)


FILE_SHAPES = [
    (command, shape)
    for command, shapes in COMMANDS.items()
    for shape in shapes
    if "{file}" in shape
]


@pytest.mark.parametrize("name", [*sorted(HOSTILE_FILES), MISSING])
@pytest.mark.parametrize(
    ("command", "shape"), FILE_SHAPES, ids=[" ".join([c, *s]) for c, s in FILE_SHAPES]
)
def test_every_hostile_file_in_every_file_option(command: str, shape: list[str], name: str) -> None:
    """Each hostile file, in each option that takes a file, ends without a traceback."""
    argv = [name if part == "{file}" else "0" if part == "{arg}" else part for part in shape]
    result = CliRunner().invoke(main, [command, *argv], env={"ENVIRONMENT_API_KEY": None})
    assert "Traceback" not in result.output, argv
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv,
        repr(result.exception),
    )
    assert result.exit_code in DOCUMENTED_EXIT_CODES, (argv, result.output)


@pytest.mark.parametrize(
    ("variable", "name"),
    [
        ("TASKAPP_BASELINE", "a-directory"),
        ("TASKAPP_BASELINE", "binary.jsonl"),
        ("TASKAPP_BASELINE", MISSING),
        ("TASKAPP_JSON", "a-directory"),
        ("TASKAPP_JSON", "binary.jsonl/report.json"),
        ("TASKAPP_HTML", "/proc/1/no-such/report.html"),
        ("TASKAPP_ROLLOUT_CONFIG", "binary.jsonl"),
        ("SYNTH_TRACES_DB", "a-directory"),
    ],
)
def test_bad_paths_in_environment_variables(variable: str, name: str) -> None:
    """A hostile path in an environment variable ends with one line and a documented code."""
    argv = ["check", *_ONE_CHECK]
    result = CliRunner().invoke(main, argv, env={"ENVIRONMENT_API_KEY": None, variable: name})
    assert "Traceback" not in result.output, (variable, name)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        variable,
        repr(result.exception),
    )
    assert result.exit_code in DOCUMENTED_EXIT_CODES, (variable, result.output)
