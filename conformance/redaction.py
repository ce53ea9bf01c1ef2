"""Secret redaction for every output: reports, logs, recordings.

A secret is hidden in every spelling a reader could turn back into it: as is, in another
letter case, reversed, hex, base64 and base64url (at each of the three byte alignments a
key can have inside a longer encoded text), and behind JSON `\\u`, `\\x`, percent or HTML
numeric escapes. Any run of `MIN_PIECE` characters of the secret counts, in each of those
spellings. The same matcher tells SEC-1 how a key leaked (`Redactor.find`).
"""

from __future__ import annotations

import base64
import bisect
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contract.constants import API_KEY_HEADER, API_KEYS_HEADER, AUTHORIZATION_HEADER

REDACTED = "***"
SECRET_HEADERS = frozenset(
    name.lower()
    for name in (
        API_KEY_HEADER,
        API_KEYS_HEADER,
        AUTHORIZATION_HEADER,
        "Cookie",
        "Proxy-Authorization",
    )
)
_SECRET_PARAM = re.compile(r"token|key|secret|pass|pwd|jwt|auth|sig|credential", re.IGNORECASE)
"""Query parameters whose value :func:`redact_url` hides (matched anywhere in the name)."""
MIN_PIECE = 6
"""A run of this many characters of a secret is already a leak (synth-ai echoes 15, D1)."""
_BASE64_PIECE = 7
"""Base64 characters that `MIN_PIECE` bytes fix whatever their alignment (8 at offset 0,
7 at offsets 1 and 2): the base64 spelling of any piece holds a run this long.
"""
_ESCAPE = re.compile(
    r"(?<!\\)\\+(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))|%([0-9a-fA-F]{2})"
    r"|&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));"
)
"""One escaped character; `\\\\u0073` too (a JSON escape shown inside a repr or JSON). Only
the first backslash of a run may start a match: a body of backslashes stays linear.
"""
_ESCAPE_KINDS = ("JSON-escaped", "\\x-escaped", "percent-encoded", "HTML-escaped", "HTML-escaped")
_ESCAPE_BASES = (16, 16, 16, 10, 16)


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with the values of secret-bearing ones replaced by `***`."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in items}


@dataclass(frozen=True)
class Leak:
    """How a secret shows in a text: which spelling, and whether all of it is there."""

    form: str
    """`verbatim`, `in another letter case`, `reversed`, `hex-encoded`, `base64-encoded`,
    `base64url-encoded`, or an escape (`percent-encoded`, `JSON-escaped`...), e.g.
    `JSON-escaped, in another letter case`.
    """
    whole: bool
    """The whole secret is there, not only a piece of `MIN_PIECE` or more characters."""

    def describe(self, what: str = "the key") -> str:
        """`the key appears base64-encoded`, `a piece of the key appears reversed`."""
        return f"{what if self.whole else f'a piece of {what}'} appears {self.form}"


@dataclass(frozen=True)
class _Spelling:
    """One spelling of a secret, and its runs that already leak (`windows`)."""

    form: str
    text: str
    windows: frozenset[str]
    folded: bool
    """Matched in any letter case (`text` and `windows` are lower-case then)."""


def _spelling(form: str, text: str, window: int, *, folded: bool) -> _Spelling:
    size = min(window, len(text))
    windows = frozenset(text[i : i + size] for i in range(len(text) - size + 1))
    return _Spelling(form, text, windows, folded)


def _base64_core(data: bytes, shift: int, alphabet: bytes) -> str:
    """The base64 characters fixed by `data` alone when it starts `shift` bytes into a block."""
    encoded = base64.b64encode(bytes(shift) + data + bytes(2), altchars=alphabet).decode()
    return encoded[-(-8 * shift // 6) : 8 * (shift + len(data)) // 6]


def _spellings(secret: str) -> tuple[_Spelling, ...]:
    """Every spelling of `secret` that is hidden, in the order `Redactor.find` names them."""
    if len(secret) < MIN_PIECE:  # a short secret (a URL password) is matched only as is
        return (_spelling("verbatim", secret, len(secret), folded=False),)
    data = secret.encode()
    spellings = [
        _spelling("verbatim", secret, MIN_PIECE, folded=False),
        _spelling("in another letter case", secret.lower(), MIN_PIECE, folded=True),
        _spelling("reversed", secret[::-1].lower(), MIN_PIECE, folded=True),
        _spelling("hex-encoded", data.hex(), 2 * MIN_PIECE, folded=True),
    ]
    for form, alphabet in (("base64-encoded", b"+/"), ("base64url-encoded", b"-_")):
        for shift in range(3):
            text = _base64_core(data, shift, alphabet)
            if all(s.text != text for s in spellings):  # base64url == base64 for most keys
                spellings.append(_spelling(form, text, _BASE64_PIECE, folded=False))
    return tuple(spellings)


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching the longest of `words` at a position, built as a trie.

    A trie keeps the engine's work per position small (one branch per next character),
    where a flat alternation of hundreds of windows tries each in turn.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        if "" not in node:
            return body
        return f"(?:{body})?" if len(branches) == 1 else f"{body}?"

    return re.compile(emit(trie))


@dataclass(frozen=True)
class _Matcher:
    spellings: tuple[tuple[_Spelling, ...], ...]
    folded: re.Pattern[str] | None
    """Every window of every spelling, lower-cased, matched against the lower-cased text:
    one pass per text. Base64 in another case is hidden too (`find` does not name it).
    """
    exact: re.Pattern[str] | None
    """Short secrets, matched only as written and as a whole token (None without any)."""


@functools.lru_cache(maxsize=32)
def _matcher(secrets: tuple[str, ...]) -> _Matcher:
    """Compiled once per set of secrets: each report format builds its own `Redactor`."""
    spellings = tuple(_spellings(s) for s in secrets)
    flat = [spelling for group in spellings for spelling in group]
    short = {s.text for s in flat if len(s.text) < MIN_PIECE}
    return _Matcher(
        spellings,
        _trie_pattern({w.lower() for s in flat if s.text not in short for w in s.windows}),
        _as_token(_trie_pattern(short)),
    )


def _as_token(pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
    """`pattern` matched only where no letter or digit touches it: a short secret (`k1`)
    inside a word (`look`) is a coincidence, and hiding it would garble every message.
    """
    if pattern is None:
        return None
    return re.compile(f"(?<![^\\W_])(?:{pattern.pattern})(?![^\\W_])")


def _fold(text: str) -> str:
    """`text` lower-cased, character for character (so offsets stay valid)."""
    folded = text.lower()
    return folded if len(folded) == len(text) else "".join(c.lower()[:1] for c in text)


class _View:
    """A text with its escapes undone, and the way back to the text's own offsets."""

    def __init__(self, text: str) -> None:
        parts: list[str] = []
        self.starts: list[int] = []  # where each segment starts in the view
        self.origins: list[tuple[int, int, int]] = []  # (start, end, escape kind or -1)
        at = last = 0
        for match in _ESCAPE.finditer(text):
            if match.start() > last:
                self._segment(parts, text[last : match.start()], at, (last, match.start(), -1))
                at += match.start() - last
            kind = match.lastindex or 1
            code = int(match.group(kind), _ESCAPE_BASES[kind - 1])
            char = chr(code) if code <= 0x10FFFF else "\ufffd"
            self._segment(parts, char, at, (match.start(), match.end(), kind - 1))
            at += 1
            last = match.end()
        if last < len(text):
            self._segment(parts, text[last:], at, (last, len(text), -1))
        self.text = "".join(parts)

    def _segment(self, parts: list[str], text: str, at: int, origin: tuple[int, int, int]) -> None:
        parts.append(text)
        self.starts.append(at)
        self.origins.append(origin)

    def span(self, start: int, end: int) -> tuple[int, int, set[str]]:
        """The text's offsets of view[start:end], and the escapes inside it."""
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_right(self.starts, end - 1) - 1
        kinds = {_ESCAPE_KINDS[o[2]] for o in self.origins[first : last + 1] if o[2] >= 0}
        begin, _, kind = self.origins[first]
        low = begin if kind >= 0 else begin + start - self.starts[first]
        begin, stop, kind = self.origins[last]
        high = stop if kind >= 0 else begin + end - self.starts[last]
        return low, high, kinds


def _escaped(text: str) -> bool:
    return ("\\" in text or "%" in text or "&#" in text) and _ESCAPE.search(text) is not None


def _views(text: str) -> Iterator[tuple[str, _View | None]]:
    """`text` itself, then (when it holds escapes) `text` with its escapes undone."""
    yield text, None
    if _escaped(text):
        view = _View(text)
        yield view.text, view


class Redactor:
    """Replaces every known secret, and every 6+-character piece of one, by `***`, in each
    spelling listed in the module docstring.
    """

    def __init__(
        self, secrets: Iterable[str | None] = (), *, urls: Iterable[str | None] = ()
    ) -> None:
        self._secrets: list[str] = []
        self._compiled: _Matcher | None = None
        for secret in secrets:
            self.add(secret)
        for url in urls:
            self.add_url(url)

    def add(self, secret: str | None) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        self._compiled = None  # compiled on first use: a Redactor often gets several secrets

    def add_url(self, url: str | None) -> None:
        """Also hide the password and token-like query values of `url` (see `redact_url`).

        Values under 4 characters are left out: replacing every `x` of a report would make
        it unreadable; the URL itself is always shown through `redact_url`.
        """
        for secret in url_secrets(url or ""):
            if len(secret) >= 4:
                self.add(secret)

    def _matcher(self) -> _Matcher | None:
        if self._compiled is None and self._secrets:
            self._compiled = _matcher(tuple(sorted(self._secrets)))
        return self._compiled

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) in `text` of every run that spells a window of a secret."""
        matcher = self._matcher()
        if matcher is None:
            return
        for view_text, view in _views(text):
            folded = _fold(view_text)
            for pattern, where in ((matcher.folded, folded), (matcher.exact, view_text)):
                if pattern is None:
                    continue
                match = pattern.search(where)
                while match is not None:  # overlapping windows too: the runs are their union
                    start, end = match.span()
                    yield (start, end) if view is None else view.span(start, end)[:2]
                    match = pattern.search(where, match.start() + 1)

    def _clean(self, text: str) -> bool:
        """True when `text` surely holds no secret: the fast path of every string of a report."""
        matcher = self._matcher()
        return matcher is None or (
            (matcher.folded is None or matcher.folded.search(_fold(text)) is None)
            and (matcher.exact is None or matcher.exact.search(text) is None)
            and not _escaped(text)
        )

    def _runs(self, text: str) -> list[tuple[int, int]]:
        """The spans of `text` that spell secrets, overlapping and touching ones merged."""
        runs: list[tuple[int, int]] = []
        if self._clean(text):
            return runs
        for start, end in sorted(self._spans(text)):
            if runs and start <= runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], end))
            else:
                runs.append((start, end))
        return runs

    def text(self, value: str) -> str:
        kept: list[str] = []
        at = 0
        for start, end in self._runs(value):
            kept += [value[at:start], REDACTED]
            at = end
        return "".join(kept) + value[at:] if kept else value

    def value(self, value: Any) -> Any:
        """Redact strings anywhere inside a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def find(self, text: str) -> Leak | None:
        """How a secret shows in `text`, or None: the spelling with the most of it (SEC-1)."""
        matcher = self._matcher()
        if matcher is None:
            return None
        best: tuple[int, Leak] | None = None
        # Only around what the pattern found (the first runs, with room for an escape at
        # either end): naming scans each spelling's windows, which costs per character.
        regions = [text[max(0, a - 16) : b + 16] for a, b in self._runs(text)[:8]]
        for view_text, view in (v for region in regions for v in _views(region)):
            folded = _fold(view_text)
            for spelling in (s for group in matcher.spellings for s in group):
                where = folded if spelling.folded else view_text
                found = [w for w in spelling.windows if w in where]
                whole = spelling.text in where
                score = len(spelling.windows) + 1 if whole else len(found)
                if found and (best is None or score > best[0]):
                    best = score, Leak(_form(spelling, view, where, found), whole)
        return best[1] if best is not None else None


def _form(spelling: _Spelling, view: _View | None, where: str, found: list[str]) -> str:
    """The spelling's name, with the escapes it hides behind (`JSON-escaped, reversed`)."""
    escapes: set[str] = set()
    for window in found:
        at = where.find(window)
        escapes |= view.span(at, at + len(window))[2] if view is not None else set()
    named = [] if spelling.form == "verbatim" and escapes else [spelling.form]
    return ", ".join(sorted(escapes) + named)


def _redacted_url(url: str) -> tuple[str, list[str]]:
    """`url` with its secrets replaced by `***`, and the secrets that were replaced."""
    secrets: list[str] = []
    head, has_query, query = url.partition("?")
    scheme, has_authority, rest = head.partition("://")
    if has_authority:
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            userinfo, _, host = authority.rpartition("@")
            user, has_password, password = userinfo.partition(":")
            secrets.append(password if has_password else userinfo)
            authority = f"{user}:{REDACTED}@{host}" if has_password else f"{REDACTED}@{host}"
        head = f"{scheme}://{authority}{slash}{path}"
    if not has_query:
        return head, secrets
    pieces = []
    for piece in query.split("&"):
        key, has_value, value = piece.partition("=")
        if has_value and _SECRET_PARAM.search(key):
            secrets.append(value)
            piece = f"{key}={REDACTED}"
        pieces.append(piece)
    return f"{head}?{'&'.join(pieces)}", secrets


def redact_url(url: str) -> str:
    """`url` (or a DSN) with its password or bare userinfo and secret query values as `***`.

    Everything else is kept byte for byte (no URL normalisation), so a plain path or a
    `sqlite+aiosqlite:////abs.db` URL still reads exactly as the user wrote it.
    """
    return _redacted_url(url)[0]


def url_secrets(url: str) -> list[str]:
    """The values :func:`redact_url` hides (password, userinfo, token-like query values)."""
    return [secret for secret in _redacted_url(url)[1] if secret]
