"""Generate realistic SFT JSONL corpora for the validator benchmark (cached).

Two kinds, each valid at both levels (and unique), so the benchmark measures the full
validation path; output is deterministic for a given kind, size and seed:

* ``long`` (about 4-5 KB per line): the output of an agentic task app run through
  ``synth-ai filter``: a system prompt, a user observation, assistant turns with OpenAI
  tool calls, tool results (JSON observations), a final assistant answer, flat tool
  definitions, and metadata;
* ``short`` (about 1 KB per line): plain chat: a short system prompt, a user question,
  the assistant's answer, sometimes a second exchange.

Usage::

    python bench/gen_sft_corpus.py --size-mb 200            # prints the cached path
    python bench/gen_sft_corpus.py --kind short --size-mb 100
    python bench/gen_sft_corpus.py --size-mb 1024 --out /tmp/big.jsonl
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from pathlib import Path

import orjson

CORPUS_VERSION = 1
KINDS = ("long", "short")
_WORDS = (
    "the",
    "agent",
    "moves",
    "north",
    "east",
    "south",
    "west",
    "collects",
    "wood",
    "stone",
    "iron",
    "table",
    "pickaxe",
    "sword",
    "health",
    "food",
    "drink",
    "energy",
    "sapling",
    "plant",
    "zombie",
    "skeleton",
    "cow",
    "water",
    "lava",
    "coal",
    "diamond",
    "inventory",
    "crafting",
    "nearby",
    "achievement",
    "reward",
    "step",
    "observation",
    "action",
    "place",
    "make",
    "defeat",
    "eat",
    "sleep",
    "noop",
    "facing",
    "grass",
    "sand",
    "tree",
    "path",
    "tunnel",
    "darkness",
    "daylight",
)
_TOOLS = [
    {
        "name": "interact",
        "description": "Perform a sequence of environment actions.",
        "parameters": {
            "type": "object",
            "properties": {
                "actions": {"type": "array", "items": {"type": "string"}},
                "reasoning": {"type": "string"},
            },
            "required": ["actions"],
        },
    },
    {
        "name": "inspect",
        "description": "Look at a cell of the local map.",
        "parameters": {
            "type": "object",
            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        },
    },
]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(low, high))).capitalize() + "."


def make_record(rng: random.Random, index: int) -> dict[str, object]:
    """One realistic, valid, unique multi-turn tool-using record."""
    messages: list[dict[str, object]] = [
        {"role": "system", "content": _text(rng, 120, 260)},
        {"role": "user", "content": [{"type": "text", "text": _text(rng, 60, 200)}]},
    ]
    for turn in range(rng.randint(1, 4)):
        call_id = f"call_{index}_{turn}"
        arguments = {
            "actions": rng.choices(_WORDS, k=rng.randint(1, 5)),
            "reasoning": _text(rng, 5, 30),
        }
        messages.append(
            {
                "role": "assistant",
                "content": _text(rng, 0, 40) if rng.random() < 0.5 else None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": "interact",
                            "arguments": orjson.dumps(arguments).decode(),
                        },
                    }
                ],
            }
        )
        observation = {
            "inventory": {word: rng.randint(0, 9) for word in rng.sample(_WORDS, 6)},
            "health": rng.randint(0, 9),
            "text": _text(rng, 40, 160),
            "reward": round(rng.random(), 3),
        }
        messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": orjson.dumps(observation).decode()}
        )
    messages.append({"role": "assistant", "content": _text(rng, 10, 80)})
    return {
        "messages": messages,
        "tools": _TOOLS,
        "metadata": {
            "run_id": f"run-{index:08d}",
            "seed": rng.randint(0, 10**6),
            "task_id": f"crafter-{rng.randint(0, 999)}",
            "model": "Qwen/Qwen3-4B",
            "official_score": round(rng.random(), 4),
            "judge_scores": {"quality": round(rng.random(), 3)},
        },
    }


def make_short_record(rng: random.Random, index: int) -> dict[str, object]:
    """One valid, unique plain chat record of about 1 KB."""
    messages: list[dict[str, object]] = [
        {"role": "system", "content": _text(rng, 8, 20)},
    ]
    for _ in range(1 if rng.random() < 0.7 else 2):
        messages.append({"role": "user", "content": _text(rng, 15, 50)})
        messages.append({"role": "assistant", "content": _text(rng, 40, 110)})
    return {"messages": messages, "metadata": {"id": f"chat-{index:08d}"}}


_MAKERS = {"long": make_record, "short": make_short_record}


def default_path(size_mb: int, seed: int, kind: str = "long") -> Path:
    """Where the cached corpus of ``size_mb`` MB lives (``$TMPDIR/taskapp-bench/``)."""
    root = Path(tempfile.gettempdir()) / "taskapp-bench"
    name = "sft" if kind == "long" else f"sft-{kind}"
    return root / f"{name}-v{CORPUS_VERSION}-{size_mb}mb-seed{seed}.jsonl"


def generate(size_mb: int, *, seed: int = 0, out: Path | None = None, kind: str = "long") -> Path:
    """Write (or reuse) a corpus of ``kind`` of at least ``size_mb`` MB; return its path."""
    make = _MAKERS[kind]
    path = out or default_path(size_mb, seed, kind)
    target = size_mb * 1_000_000
    if path.exists() and path.stat().st_size >= target:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    tmp = path.with_suffix(".partial")
    written = 0
    index = 0
    with tmp.open("wb") as handle:
        while written < target:
            batch = b"".join(orjson.dumps(make(rng, index + k)) + b"\n" for k in range(1000))
            index += 1000
            handle.write(batch)
            written += len(batch)
    os.replace(tmp, path)
    return path


def main() -> None:
    """Command-line entry point; prints the corpus path."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=200, help="minimum size in MB (default 200)")
    parser.add_argument("--kind", choices=KINDS, default="long", help="record kind (default long)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output path (default: cached temp file)"
    )
    args = parser.parse_args()
    print(generate(args.size_mb, seed=args.seed, out=args.out, kind=args.kind))


if __name__ == "__main__":
    main()
