"""The offline task: arithmetic word problems solved with a `calculate` tool.

Deterministic per (split, seed): the same pair always yields the same problem.
The policy calls `calculate(expression)`, reads the result, then calls
`submit_answer(answer)`. Reward is 1.0 for the right answer, else 0.0.
"""

from __future__ import annotations

import ast
import operator
import random
from dataclasses import dataclass
from typing import Any, Final, cast

SPLITS: Final = ("train", "val", "test")
DEFAULT_SPLIT: Final = "train"
MAX_SEED: Final = 2**31 - 1
"""Seeds are 0..MAX_SEED in every split; each split is its own problem space."""
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
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_MAX_EXPRESSION_CHARS: Final = 200


def evaluate(expression: str) -> float:
    """Evaluate `+ - * / // %` arithmetic safely (no names, calls or powers)."""
    if len(expression) > _MAX_EXPRESSION_CHARS:
        raise ExpressionError("expression is too long")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not an arithmetic expression: {expression!r}") from exc
    return _eval_node(tree.body)


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        # The exact-type test (which rejects bool) does not narrow; the value is an int or float.
        return float(cast("int | float", node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval_node(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPS:
        try:
            return float(_BINARY_OPS[type(node.op)](_eval_node(node.left), _eval_node(node.right)))
        except ZeroDivisionError as exc:
            raise ExpressionError("division by zero") from exc
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
