"""The offline task: arithmetic word problems solved with a `calculate` tool.

Deterministic per (split, seed): the same pair always yields the same problem.
The policy calls `calculate(expression)`, reads the result, then calls
`submit_answer(answer)`. Reward is 1.0 for the right answer, else 0.0.
"""

from __future__ import annotations

import operator
import random
import re
from dataclasses import dataclass
from typing import Any, Final

# Seeds are the contract's whole conventional range (conformance.contract's MIN_SEED to
# MAX_SEED) in every split; each split is its own problem space.
SPLITS: Final = ("train", "val", "test")
DEFAULT_SPLIT: Final = "train"
SPLIT_CARDINALITY: Final = {"train": 10_000, "val": 1_000, "test": 1_000}
"""Advertised sizes; seeds beyond them still work but repeat the problem templates' space."""

SYSTEM_PROMPT: Final = (
    "You solve arithmetic word problems. First call the `calculate` tool with the "
    "arithmetic expression, then call `submit_answer` with the number it returned."
)

TOOLS: Final[list[dict[str, Any]]] = [
    {
        "type": "function",
        "function": {
            "name": "calculate",
            "description": "Evaluate an arithmetic expression with + - * / and parentheses.",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "submit_answer",
            "description": "Submit the final numeric answer; ends the episode.",
            "parameters": {
                "type": "object",
                "properties": {"answer": {"type": "number"}},
                "required": ["answer"],
            },
        },
    },
]

_TEMPLATES: Final = (
    (
        "A bakery bakes {a} trays of {b} muffins and sells {c} muffins. How many muffins are left?",
        "{a} * {b} - {c}",
    ),
    (
        "A library has {a} shelves with {b} books each and receives {c} more books. "
        "How many books does it hold?",
        "{a} * {b} + {c}",
    ),
    (
        "{a} hikers share {b} sandwiches and {c} more arrive with {b} sandwiches each. "
        "How many sandwiches are there?",
        "{b} + {c} * {b}",
    ),
    (
        "A farmer plants {a} rows of {b} trees, then {c} trees die. How many trees remain?",
        "{a} * {b} - {c}",
    ),
    (
        "A train carries {a} passengers; at each of {b} stops {c} passengers board. "
        "How many passengers are aboard?",
        "{a} + {b} * {c}",
    ),
)


@dataclass(frozen=True)
class Problem:
    """One task instance."""

    split: str
    seed: int
    question: str
    expression: str
    answer: int

    @property
    def task_id(self) -> str:
        return f"arith-{self.split}-{self.seed}"

    @property
    def prompt(self) -> str:
        return f"{self.question} (The quantity is `{self.expression}`.)"


def generate_problem(split: str, seed: int) -> Problem:
    """The problem for `seed` in `split`; pure and deterministic."""
    rng = random.Random(f"{split}:{seed}")
    question, expression = _TEMPLATES[rng.randrange(len(_TEMPLATES))]
    a, b, c = rng.randint(2, 40), rng.randint(2, 25), rng.randint(1, 30)
    expr = expression.format(a=a, b=b, c=c)
    return Problem(
        split=split,
        seed=seed,
        question=question.format(a=a, b=b, c=c),
        expression=expr,
        answer=int(evaluate(expr)),
    )


class ExpressionError(ValueError):
    """The expression is not plain arithmetic."""


_BINARY_OPS: Final = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
}
_PRECEDENCE: Final = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}
_TOKEN: Final = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|(//|[-+*/%()]))")
_MAX_EXPRESSION_CHARS: Final = 200


def evaluate(expression: str) -> float:
    """Evaluate `+ - * / // %` arithmetic safely (numbers and parentheses only).

    A small precedence-climbing parser, not `ast`: Python 3.11's AST constructor keeps
    one recursion counter per interpreter, so parsing on the app's thread while the
    harness's Hypothesis parses on another can fail with a SystemError.
    """
    if len(expression) > _MAX_EXPRESSION_CHARS:
        raise ExpressionError("expression is too long")
    tokens = _tokens(expression)
    value, rest = _parse(tokens, 1)
    if rest:
        raise ExpressionError(f"not an arithmetic expression: {expression!r}")
    return value


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise ExpressionError("only numbers, parentheses and + - * / // % are allowed")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


def _parse(tokens: list[str], min_precedence: int) -> tuple[float, list[str]]:
    """Parse a binary expression whose operators bind at least `min_precedence`."""
    left, tokens = _operand(tokens)
    while tokens and _PRECEDENCE.get(tokens[0], 0) >= min_precedence:
        op, tokens = tokens[0], tokens[1:]
        right, tokens = _parse(tokens, _PRECEDENCE[op] + 1)
        try:
            left = float(_BINARY_OPS[op](left, right))
        except ZeroDivisionError as exc:
            raise ExpressionError("division by zero") from exc
    return left, tokens


def _operand(tokens: list[str]) -> tuple[float, list[str]]:
    if not tokens:
        raise ExpressionError("the expression ends where a number was expected")
    head, rest = tokens[0], tokens[1:]
    if head in ("-", "+"):
        value, rest = _operand(rest)
        return (-value if head == "-" else value), rest
    if head == "(":
        value, rest = _parse(rest, 1)
        if not rest or rest[0] != ")":
            raise ExpressionError("unbalanced parentheses")
        return value, rest[1:]
    if head[0].isdigit() or head[0] == ".":
        return float(head), rest
    raise ExpressionError("only numbers, parentheses and + - * / // % are allowed")


def format_number(value: float) -> str:
    """Render a tool result: integers without a trailing `.0`."""
    return str(int(value)) if value.is_integer() else repr(value)


def score_answer(problem: Problem, answer: Any) -> float:
    """1.0 when `answer` equals the problem's answer, else 0.0."""
    if isinstance(answer, bool) or not isinstance(answer, int | float | str):
        return 0.0
    try:
        return 1.0 if float(answer) == problem.answer else 0.0
    except ValueError:
        return 0.0
