"""Per-rollout model behaviour, asked for through the route of a rollout's inference URL.

The harness gives every rollout its own route on the mock (`/r/<id>/`). What follows the
id, before the completions path, scripts how the model answers that rollout, and only
that one; the app calls the URL it was given and never needs to know:

    /r/<id>/v1/chat/completions                    the scripted policy (`policy.py`)
    /r/<id>/latency/<ms>/v1/chat/completions       the same answers, each after <ms> ms
    /r/<id>/replay/<id2>/v1/chat/completions       the answers route <id2> was given, in order
    /r/<id>/fault/<kind>/v1/chat/completions       a misbehaving model (`ModelFault`)

A script lives in the URL, so the recording relay serves it exactly as the loopback mock
does, and a deployed app gets the same behaviour checks. Builders (`latency`, `replay_of`,
`fault`) give the harness the path segment to put after the route id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ROUTE_PREFIX = "/r/"
MAX_LATENCY_MS = 60_000
"""The longest latency a script may ask for: a public relay never holds a call longer."""
LARGE_CONTENT_BYTES = 8 * 1024 * 1024
"""The content of `ModelFault.LARGE_CONTENT`: 8 MiB, hundreds of times a real answer."""
RETRY_AFTER_S = 1
"""The `Retry-After` of `ModelFault.RATE_LIMITED`."""
UNKNOWN_TOOL = "tool_the_app_never_offered"
"""The function name `ModelFault.UNKNOWN_TOOL` calls."""
INVALID_ARGUMENTS = '{"expression": "1 + '
"""The arguments of `ModelFault.INVALID_TOOL_ARGUMENTS`: JSON cut off in a string."""
MALFORMED_BODY = b'{"id": "chatcmpl-malformed", "object": "chat.completion", "choices": [{"ind'
"""The body of `ModelFault.MALFORMED_JSON`: a 200 whose JSON stops mid-key."""

_ROUTE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ModelFault(StrEnum):
    """How a misbehaving model answers (the `<kind>` of `/fault/<kind>`)."""

    HTTP_500 = "http-500"
    """500 with OpenAI's error envelope (`server_error`)."""
    RATE_LIMITED = "rate-limited"
    """429 with `Retry-After` and OpenAI's `rate_limit_exceeded` envelope."""
    MALFORMED_JSON = "malformed-json"
    """200, `application/json`, and a body that is not JSON (cut off)."""
    EMPTY_CHOICES = "empty-choices"
    """200 with a well-formed completion whose `choices` list is empty."""
    INVALID_TOOL_ARGUMENTS = "invalid-tool-arguments"
    """A call of the first tool offered, its `arguments` not valid JSON."""
    UNKNOWN_TOOL = "unknown-tool"
    """A call of a function the request never offered."""
    LARGE_CONTENT = "large-content"
    """An assistant message of 8 MiB (gzip-encoded when the caller accepts gzip)."""


class ScriptError(ValueError):
    """A route asks for a script this server does not know; the message says what is valid."""


@dataclass(frozen=True)
class Script:
    """What one rollout's route asks of the model (the default: plain scripted answers)."""

    route: str | None = None
    """`/r/<id>`: the rollout's own route, or None for a path outside `/r/`."""
    latency_s: float = 0.0
    replay_of: str | None = None
    """`/r/<id2>`: the route whose recorded answers this one replays."""
    fault: ModelFault | None = None


def latency(seconds: float) -> str:
    """The script segment delaying every answer by `seconds` (whole milliseconds)."""
    return f"/latency/{round(seconds * 1000)}"


def replay_of(route: str) -> str:
    """The script segment replaying, in order, the answers `route` (`/r/<id>`) was given."""
    return f"/replay/{route.removeprefix(ROUTE_PREFIX).strip('/')}"


def fault(kind: ModelFault) -> str:
    """The script segment making the model misbehave as `kind`."""
    return f"/fault/{kind.value}"


def parse(path: str, suffix: str) -> Script:
    """The script `path` (ending in `suffix`, the completions path) asks for.

    Raises `ScriptError` for an unknown directive or a bad argument; a path outside
    `/r/<id>/` is a plain call.
    """
    if not path.startswith(ROUTE_PREFIX):
        return Script()
    head, _, rest = path.removeprefix(ROUTE_PREFIX).partition("/")
    if not _ROUTE_ID.fullmatch(head):
        return Script()
    route = f"{ROUTE_PREFIX}{head}"
    directive = rest[: len(rest) - len(suffix)].strip("/").split("/") if rest else []
    # The completions path itself (`v1/chat/completions`) may start with `v1`: only a known
    # directive followed by its argument scripts anything.
    if len(directive) < 2 or directive[0] not in _DIRECTIVES:
        return Script(route=route)
    name, argument = directive[0], directive[1]
    return _DIRECTIVES[name](route, argument)


def _latency(route: str, argument: str) -> Script:
    if not argument.isdigit() or int(argument) > MAX_LATENCY_MS:
        raise ScriptError(
            f"latency must be whole milliseconds from 0 to {MAX_LATENCY_MS}, got {argument[:20]!r}"
        )
    return Script(route=route, latency_s=int(argument) / 1000)


def _replay(route: str, argument: str) -> Script:
    if not _ROUTE_ID.fullmatch(argument):
        raise ScriptError(f"replay needs the id of a route (/r/<id>/), got {argument[:70]!r}")
    return Script(route=route, replay_of=f"{ROUTE_PREFIX}{argument}")


def _fault(route: str, argument: str) -> Script:
    try:
        kind = ModelFault(argument)
    except ValueError:
        kinds = ", ".join(k.value for k in ModelFault)
        raise ScriptError(f"unknown fault {argument[:40]!r}; the faults are {kinds}") from None
    return Script(route=route, fault=kind)


_DIRECTIVES = {"latency": _latency, "replay": _replay, "fault": _fault}


def tool_call_fault(kind: ModelFault, body: dict[str, Any], turn: int) -> dict[str, Any]:
    """The assistant message of a tool-call fault, for a request offering `body["tools"]`."""
    if kind is ModelFault.UNKNOWN_TOOL:
        name, arguments = UNKNOWN_TOOL, "{}"
    else:
        name, arguments = _first_tool(body) or "calculate", INVALID_ARGUMENTS
    call = {
        "id": f"call_fault_{turn}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def large_message() -> dict[str, Any]:
    """The assistant message of `ModelFault.LARGE_CONTENT`."""
    return {"role": "assistant", "content": "x" * LARGE_CONTENT_BYTES}


def _first_tool(body: dict[str, Any]) -> str | None:
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            name = function.get("name") if isinstance(function, dict) else None
            if isinstance(name, str) and name:
                return name
    return None


def openai_error(message: str, kind: str, code: str) -> bytes:
    """An OpenAI-shaped error body."""
    return json.dumps({"error": {"message": message, "type": kind, "code": code}}).encode()
