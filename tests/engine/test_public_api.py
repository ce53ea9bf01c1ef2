"""The public API is `conformance.__all__`: curated, sorted, pinned, and enough to use."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import conformance

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = [
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "CheckSkipped",
    "Outcome",
    "RunConfig",
    "RunOptions",
    "RunReport",
    "Severity",
    "SkipKind",
    "Target",
    "Verdict",
    "__version__",
    "asgi_target",
    "assert_conforming_rollout",
    "assert_valid_sft_jsonl",
    "catalogue",
    "check",
    "embedded_target",
    "run_checks",
    "select_checks",
    "strategies",
    "url_target",
    "validate_file",
    "validate_record",
    "write_reports",
]


def test_all_is_pinned_and_sorted() -> None:
    """`conformance.__all__` is exactly the curated list, in sorted order, and every name in
    it has a home module.
    """
    assert conformance.__all__ == sorted(PUBLIC) == PUBLIC
    assert set(PUBLIC) == {*conformance._EXPORTS, "__version__"}


def test_every_public_name_resolves() -> None:
    """Each name in `__all__` imports (lazily) and is the object its home module defines."""
    for name in PUBLIC:
        assert getattr(conformance, name) is not None, name
    from conformance.runner import run_checks

    assert conformance.run_checks is run_checks


def test_the_readme_example_runs() -> None:
    """The README's Python API example runs as written and prints the verdict it claims."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "conforms 0"
    assert "MY-1 pass" in done.stdout


def test_examples_import_only_the_public_api() -> None:
    """The shipped examples import names from `conformance` itself, never its internals."""
    allowed = re.compile(r"^from conformance import ")
    for path in (ROOT / "examples").rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(from|import) conformance", line):
                assert allowed.match(line.strip()), f"{path}: {line.strip()}"
