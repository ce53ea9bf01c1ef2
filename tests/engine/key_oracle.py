"""The test oracle of key leaks: what a reader could decode from a text.

It undoes escapes and decodes every hex and base64 run from each offset a run could start
at, then looks for any 6-character run of the key (or of the key reversed) in any letter
case: it decodes what is there rather than encoding the key as the redactor does.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator

from conformance.redaction import MIN_PIECE
from tests.faults.leak_faults import LEAK_KEY


def _pieces(key: str) -> set[bytes]:
    """Every 6-character run of the key, and of the key reversed, lower-cased."""
    runs = (key.lower().encode(), key[::-1].lower().encode())
    return {run[i : i + MIN_PIECE] for run in runs for i in range(len(run) - MIN_PIECE + 1)}


def _unescape(text: str) -> str:
    """`text` with JSON, \\x, percent and HTML escapes undone, until nothing changes."""
    for _ in range(4):
        undone = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
        undone = re.sub(r"\\+x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), undone)
        undone = re.sub(r"%([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), undone)
        undone = html.unescape(undone)
        if undone == text:
            break
        text = undone
    return text


def _decodings(text: str) -> Iterator[tuple[str, bytes]]:
    """(how, bytes) for the text as written, unescaped and unwrapped, and every hex and
    base64 run in those, decoded from each offset a run could start at.
    """
    unwrapped = re.sub(r"\n\s*", "", text)  # a console may wrap a long line
    for name, view in (
        ("as written", text),
        ("unescaped", _unescape(text)),
        ("unwrapped", unwrapped),
    ):
        data = view.encode("utf-8", "surrogatepass")
        yield name, data
        for run in re.findall(rb"[0-9a-fA-F]{12,}", data):
            for start in (0, 1):
                chunk = run[start:][: (len(run) - start) // 2 * 2]
                yield f"{name}, hex", bytes.fromhex(chunk.decode())
        for run in re.findall(rb"[A-Za-z0-9+/_-]{8,}", data):
            standard = run.translate(bytes.maketrans(b"-_", b"+/"))
            for start in range(4):
                chunk = standard[start:][: (len(standard) - start) // 4 * 4]
                yield f"{name}, base64", base64.b64decode(chunk)


def decodable(text: str, key: str = LEAK_KEY) -> list[str]:
    """How `text` still spells a 6+-character piece of `key` (empty when it does not)."""
    pieces = _pieces(key)
    return sorted({how for how, data in _decodings(text) if any(p in data.lower() for p in pieces)})
