"""The JSON parsers of the validator and their limits, set deliberately.

Every line goes to ``orjson`` first. orjson reads integers of up to 64 bits exactly,
turns longer ones into floats (and refuses those beyond a double's range), and refuses
nesting deeper than 1,024 levels. Whenever orjson refuses a line, or its float for a long
integer could change a message, the line is parsed again by :func:`loads_exact`: the
stdlib ``json`` module, which synth-ai uses, with two limits that do not depend on how
this Python process was started:

* integers of at most :data:`INT_MAX_DIGITS` digits, CPython's default
  ``int_max_str_digits``, the limit synth-ai runs under: a longer one raises
  :class:`HugeIntegerError` (synth-ai itself crashes with ``ValueError``), even when
  ``PYTHONINTMAXSTRDIGITS`` or ``-X int_max_str_digits`` raised or lifted the limit here;
  if they lowered it, the lower limit applies and is named in the error;
* nesting up to Python's recursion limit (``RecursionError`` beyond it, as in synth-ai).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

INT_MAX_DIGITS = 4300
"""Longest integer literal accepted: CPython's default ``sys.int_info.default_max_str_digits``."""

LONG_DIGIT_RUN = re.compile(rb"\d{19}")
"""19 digits in a row: the only way a line can hold an integer orjson reads as a float."""


class HugeIntegerError(ValueError):
    """An integer literal longer than the parser limit (synth-ai raises ``ValueError``)."""

    def __init__(self, digits: int, limit: int) -> None:
        super().__init__(f"integer of {digits:,} digits")
        self.digits = digits
        self.limit = limit

    @property
    def detail(self) -> str:
        """What is wrong, in a few words."""
        return (
            f"an integer of {self.digits:,} digits; Python's json, which synth-ai uses, "
            f"reads at most {self.limit:,}"
        )

    @property
    def message(self) -> str:
        """The error text the validator reports for a line."""
        return f"invalid JSON ({self.detail})"

    @property
    def fix(self) -> str:
        """What the author should do."""
        return (
            f"Write numbers longer than {self.limit:,} digits as strings: synth-ai fails "
            "with ValueError on them."
        )


def _parse_int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > INT_MAX_DIGITS:
        raise HugeIntegerError(digits, INT_MAX_DIGITS)
    try:
        return int(text)
    except ValueError:  # this process runs with a lower int_max_str_digits
        raise HugeIntegerError(digits, sys.get_int_max_str_digits()) from None


def loads_exact(text: str | bytes) -> Any:
    """``json.loads`` with the integer limit above; raises ``json.JSONDecodeError``,
    :class:`HugeIntegerError` or ``RecursionError``."""
    return json.loads(text, parse_int=_parse_int)
