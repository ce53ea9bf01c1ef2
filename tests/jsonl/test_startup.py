"""Start-up: `validate-jsonl` imports only what it runs (timings are in bench/bench_jsonl.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_CHILD = """
import sys
from conformance.cli import main
try:
    main(["validate-jsonl", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
packages, modules = sys.argv[2].split(","), tuple(sys.argv[3].split(","))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in packages or m.startswith(modules))
print(code, " ".join(heavy))
"""

HEAVY_PACKAGES = (
    "httpx",
    "pydantic",
    "rich",
    "starlette",
    "uvicorn",
    "hypothesis",
    "schemathesis",
    "multiprocessing",
    "reference_app",
)
"""Packages that cost tens of ms each at import and that validating JSONL never uses."""

HEAVY_MODULES = (
    "conformance.inference",
    "conformance.sft",
    "conformance.openapi",
    "conformance.runner",
    "conformance.checks",
    "conformance.target",
    "conformance.context",
    "conformance.reports",
)


def test_validate_jsonl_imports_no_heavy_module(tmp_path: Path) -> None:
    """A one-process `validate-jsonl` run loads no HTTP, pydantic, rich or check-suite module."""
    path = tmp_path / "one.jsonl"
    path.write_bytes(
        b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}\n'
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(path),
            ",".join(HEAVY_PACKAGES),
            ",".join(HEAVY_MODULES),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    code, _, loaded = done.stdout.strip().splitlines()[-1].partition(" ")
    assert (code, loaded) == ("0", "")
