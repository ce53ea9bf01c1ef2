"""The offline arithmetic task: deterministic, safe, enough distinct problems."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.contract import MAX_SEED, MIN_SEED
from reference_app import task


def test_at_least_1000_distinct_problems_over_splits() -> None:
    """Seeds 0..999 of the three splits give well over 1,000 distinct problems."""
    questions = {task.generate_problem(s, i).question for s in task.SPLITS for i in range(1000)}
    assert len(questions) >= 1000


@given(split=st.sampled_from(task.SPLITS), seed=st.integers(MIN_SEED, MAX_SEED))
def test_problems_are_deterministic_and_consistent(split: str, seed: int) -> None:
    """The same (split, seed) gives the same problem, and its answer is its expression's value."""
    problem = task.generate_problem(split, seed)
    assert problem == task.generate_problem(split, seed)
    assert task.evaluate(problem.expression) == problem.answer
    assert task.score_answer(problem, problem.answer) == 1.0
    assert task.score_answer(problem, problem.answer + 1) == 0.0


@pytest.mark.parametrize(
    "expression",
    ["__import__('os')", "2 ** 999999", "x + 1", "1/0", "(" * 300, "[1]"],
    ids=["call", "power", "name", "zero-division", "too-long", "list"],
)
def test_evaluate_refuses_anything_but_arithmetic(expression: str) -> None:
    """Names, calls, powers, huge inputs and division by zero are refused."""
    with pytest.raises(task.ExpressionError):
        task.evaluate(expression)


@pytest.mark.parametrize("answer", [True, None, [1], "abc"], ids=["bool", "none", "list", "text"])
def test_odd_answers_score_zero(answer: object) -> None:
    """Answers of the wrong type score 0 instead of raising."""
    assert task.score_answer(task.generate_problem("train", 0), answer) == 0.0
