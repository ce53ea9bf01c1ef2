"""The scripted policy the mock plays: it solves the reference task with tool calls.

First it calls `calculate` with the expression quoted in backticks in the latest
user message, then `submit_answer` with the tool's result. With `accuracy < 1`
some episodes submit a wrong answer, chosen deterministically from the cid.
For any other task it answers with plain text, which is still valid OpenAI output.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_EXPRESSION = re.compile(r"`([^`]{1,200})`")


def _wrong_answer_for(cid: str | None, accuracy: float) -> bool:
    if accuracy >= 1.0:
        return False
    digest = hashlib.blake2b((cid or "").encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 >= accuracy


def _tool_names(body: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            raw_function = tool.get("function")
            function = raw_function if isinstance(raw_function, dict) else tool
            names.add(str(function.get("name", "")))
    return names


def _tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def next_message(body: dict[str, Any], cid: str | None, accuracy: float) -> dict[str, Any]:
    """The assistant message to answer a chat-completions request with."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    tools = _tool_names(body)
    turn = sum(1 for m in messages if m.get("role") == "assistant")
    last = messages[-1] if messages else {}
    if last.get("role") == "tool" and "submit_answer" in tools:
        answer: Any = str(last.get("content", ""))
        try:
            answer = float(answer)
            answer = int(answer) if answer.is_integer() else answer
        except ValueError:
            pass
        if _wrong_answer_for(cid, accuracy) and isinstance(answer, int | float):
            answer += 1
        call = _tool_call(f"call_{turn}", "submit_answer", {"answer": answer})
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    user_text = next(
        (str(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    match = _EXPRESSION.search(user_text)
    if match and "calculate" in tools:
        call = _tool_call(f"call_{turn}", "calculate", {"expression": match.group(1)})
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"role": "assistant", "content": "I have no tool to call for this task."}
