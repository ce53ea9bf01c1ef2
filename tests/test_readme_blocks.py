"""Every shell block of the README and of the examples is run by a test, or says why not.

Each ```bash block is preceded by one marker comment:
`<!-- runs in PATH::TEST -->` names the test that executes the block as written (this
module checks that the test exists), `<!-- runs in .ci/run -->` means CI runs those exact
commands (checked below), and `<!-- not run: REASON -->` is for blocks that need what a
test cannot have here (a deployed app, Modal, a public server).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "examples").rglob("*.md"))]
_MARKER = re.compile(r"<!-- (runs in (?P<where>\S+)|not run: (?P<why>[^>]+)) -->\s*\n```bash\n")
_BLOCK = re.compile(r"```bash\n(.*?)```", re.S)


def _blocks(document: Path) -> list[tuple[int, str]]:
    text = document.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def _markers(document: Path) -> dict[int, re.Match[str]]:
    text = document.read_text(encoding="utf-8")
    found = {}
    for match in _MARKER.finditer(text):
        block_line = text.count("\n", 0, match.end()) + 1 - 1
        found[block_line] = match
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shell_block_is_run_or_says_why_not(document: Path) -> None:
    """Each bash block has a marker; `runs in` names a test that exists, or .ci/run."""
    markers = _markers(document)
    for line, block in _blocks(document):
        marker = markers.get(line)
        assert marker is not None, f"{document.name}:{line}: bash block without a marker"
        where = marker.group("where")
        if where is None:
            assert len(marker.group("why").strip()) > 10, f"{document.name}:{line}: say why"
        elif where == ".ci/run":
            ci = (ROOT / ".ci" / "run").read_text()
            for command in (c for c in block.splitlines() if c and not c.startswith("#")):
                assert command.strip() in ci, f"{document.name}:{line}: not in .ci/run: {command}"
        else:
            path, _, test = where.partition("::")
            source = (ROOT / path).read_text()
            assert re.search(rf"^def {re.escape(test)}\(", source, re.M), (
                f"{document.name}:{line}: {where} does not exist"
            )
