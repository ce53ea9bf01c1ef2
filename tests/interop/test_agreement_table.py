"""The agreement table: our `compat` verdicts against synth-ai's validators, case by case.

Every row of `RL_CASES` whose verdicts differ names the README entry that explains why
("Compatibility with synth-ai"); every other comparison here must agree exactly.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance import strategies
from conformance.contract import RolloutRequest as OurRequest
from conformance.contract import RolloutResponse as OurResponse
from conformance.contract import TaskInfo as OurTaskInfo
from conformance.jsonl import validate_file, validate_record
from conformance.jsonl.strategies import sft_mutations, sft_records
from conformance.outcomes import Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target
from tests.interop.synth import require_synth_ai

require_synth_ai()

from pydantic import BaseModel, ValidationError  # noqa: E402
from synth_ai.learning.sft.data import (  # noqa: E402
    SFTDataError,
    coerce_example,
    collect_sft_jsonl_errors,
    validate_jsonl_or_raise,
)
from synth_ai.task.contracts import RolloutRequest as SynthRequest  # noqa: E402
from synth_ai.task.contracts import RolloutResponse as SynthResponse  # noqa: E402
from synth_ai.task.contracts import TaskInfo as SynthTaskInfo  # noqa: E402
from synth_ai.task.validators import validate_rollout_response_for_rl  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "jsonl" / "corpus"
HYPOTHESIS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

# --- SFT JSONL: compat == synth-ai, message for message --------------------------------


def _synth_record_error(record: Any) -> str | None:
    try:
        coerce_example(record, min_messages=2)
    except SFTDataError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("name", ["accepted.jsonl", "rejected.jsonl"])
@pytest.mark.parametrize("min_messages", [1, 2])
def test_jsonl_corpus_same_messages(name: str, min_messages: int) -> None:
    """On the hand-made corpus, compat reports exactly synth-ai's lines and messages."""
    path = CORPUS / name
    report = validate_file(path, level="compat", min_messages=min_messages, max_errors=None)
    ours = [error.synth_text for error in report.errors]
    assert ours == collect_sft_jsonl_errors(path, min_messages=min_messages)


@pytest.mark.parametrize("name", ["accepted.jsonl", "rejected.jsonl"])
def test_jsonl_corpus_same_file_verdict(name: str) -> None:
    """validate_jsonl_or_raise(min_messages=2) raises exactly when compat rejects the file."""
    path = CORPUS / name
    ok = validate_file(path, level="compat", min_messages=2).ok
    try:
        validate_jsonl_or_raise(path, min_messages=2)
    except ValueError:
        assert not ok
    else:
        assert ok


@HYPOTHESIS
@given(record=sft_records() | sft_mutations(level="compat").map(lambda m: m.record))
def test_jsonl_drawn_records_same_verdict(record: Any) -> None:
    """On drawn valid and one-field-broken records, compat's first message is synth-ai's."""
    ours = validate_record(record, level="compat", min_messages=2)
    assert (ours[0].message if ours else None) == _synth_record_error(record)


# --- Wire models: ours mirror synth-ai's contracts ------------------------------------


def _accepts(model: type[BaseModel], value: Any) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


MODEL_PAIRS: list[tuple[str, type[BaseModel], type[BaseModel], st.SearchStrategy[Any]]] = [
    (
        "RolloutResponse",
        OurResponse,
        SynthResponse,
        strategies.rollout_responses()
        | strategies.invalid_rollout_responses().map(lambda bad: bad.value),
    ),
    (
        "RolloutRequest",
        OurRequest,
        SynthRequest,
        strategies.rollout_requests()
        | strategies.invalid_rollout_requests().map(lambda bad: bad.value),
    ),
    (
        "TaskInfo",
        OurTaskInfo,
        SynthTaskInfo,
        strategies.task_infos() | strategies.invalid_task_infos().map(lambda bad: bad.value),
    ),
]


@pytest.mark.parametrize(
    ("ours", "theirs", "values"), [p[1:] for p in MODEL_PAIRS], ids=[p[0] for p in MODEL_PAIRS]
)
def test_models_same_verdict(
    ours: type[BaseModel], theirs: type[BaseModel], values: st.SearchStrategy[Any]
) -> None:
    """Our contract model accepts a drawn (valid or broken) value exactly when synth-ai's does."""

    @HYPOTHESIS
    @given(values)
    def agree(value: Any) -> None:
        assert _accepts(ours, value) == _accepts(theirs, value)

    agree()


# --- Rollout responses: the RL validator against RO-1, RO-3, CID-1, CID-2, CID-7 ------

CID = "trace_agree"
URL = f"http://127.0.0.1:9/v1/chat/completions?cid={CID}"


def _valid() -> dict[str, Any]:
    step = {"obs": {}, "tool_calls": [], "reward": 1.0, "done": True}
    step["info"] = {
        "messages": [{"role": "user", "content": "1+1"}],
        "meta": {"inference_url": URL},
    }
    return {
        "run_id": "r",
        "trajectories": [
            {"env_id": "e", "policy_id": "p", "steps": [step], "length": 1, "inference_url": URL}
        ],
        "metrics": {"episode_returns": [1.0], "mean_return": 1.0, "num_steps": 1},
        "trace_correlation_id": CID,
        "pipeline_metadata": {"inference_url": URL, "trace_correlation_id": CID},
    }


# Every registered check that judges what the RL validator looks at: the body parses, the
# trajectories, each step's info.meta.inference_url, pipeline_metadata.inference_url.
_JUDGED = ("RO-1", "RO-3", "CID-1", "CID-2", "CID-7")


class _Remote(Target):
    """The canned app in-process, judged as a remote app with a user-given inference URL
    (so no recording mock starts: each verdict costs a few in-process requests).
    """

    @property
    def is_local(self) -> bool:
        return False


def _canned(body: dict[str, Any]) -> Starlette:
    """An app whose /rollout answers `body`, with the request's inference URL in place of URL
    and the harness's fresh cid in place of CID (so `valid` returns the URL it was given).
    """

    async def root(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "canned"})

    async def rollout(request: Request) -> Response:
        config = (await request.json())["policy"]["config"]
        text = json.dumps(body).replace(URL, config["inference_url"])
        text = text.replace(CID, config["trace_correlation_id"])
        return Response(text, media_type="application/json")

    return Starlette(routes=[Route("/", root), Route("/rollout", rollout, methods=["POST"])])


def _ours(body: dict[str, Any]) -> list[str]:
    """The registered checks among `_JUDGED` that fail on this response."""
    target = _Remote(label="canned", base_url=IN_PROCESS_BASE_URL, api_key="k", app=_canned(body))
    checks = [c for c in catalogue() if c.id in _JUDGED]
    report = run_checks(target, checks, RunOptions(inference_url=URL.split("?")[0]))
    return [r.check.id for r in report.results if r.outcome is Outcome.FAIL]


def _theirs(body: dict[str, Any]) -> str:
    """synth-ai's verdict: "ok", "issues" or "crash" (an exception other than its ValueError)."""
    try:
        issues = validate_rollout_response_for_rl(body, warn_only=True)
    except Exception as exc:  # the validator crashes on some shapes (spec §4.1)
        return f"crash: {type(exc).__name__}"
    return "issues" if issues else "ok"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is _DROP:
            del target[last]
        else:
            target[last] = value

    return apply


_DROP = object()
STEP = "trajectories.0.steps.0"
OTHER = URL.replace(CID, "trace_other")
PIPELINE = ["CID-1", "CID-7"]
"""Both judge pipeline_metadata.inference_url: the issued cid (CID-1), the given URL (CID-7)."""

# (case, mutation, synth-ai's verdict, the checks we fail, README difference or None).
# A check whose dependency failed is skipped, not failed (CID-2 needs RO-3, both need RO-1).
RL_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, list[str], str | None]] = [
    ("valid", _set("run_id", "r"), "ok", [], None),
    ("no pipeline_metadata", _set("pipeline_metadata", _DROP), "issues", PIPELINE, None),
    ("pipeline url null", _set("pipeline_metadata.inference_url", None), "issues", PIPELINE, None),
    (
        "pipeline url without cid",
        _set("pipeline_metadata.inference_url", "http://h/v1/chat/completions"),
        "issues",
        PIPELINE,
        None,
    ),
    (
        "cid not the first parameter",
        _set("pipeline_metadata.inference_url", f"http://h/v1?x=1&cid={CID}"),
        "issues",
        PIPELINE,
        None,
    ),
    ("no trajectories", _set("trajectories", []), "issues", ["RO-3"], None),
    ("step info null", _set(f"{STEP}.info", None), "issues", ["CID-2"], None),
    ("step info without meta", _set(f"{STEP}.info", {"messages": []}), "issues", ["CID-2"], None),
    (
        "step meta url not a string",
        _set(f"{STEP}.info.meta.inference_url", 7),
        "issues",
        ["CID-2"],
        None,
    ),
    (
        "empty cid",
        _set("pipeline_metadata.inference_url", URL.replace(CID, "")),
        "ok",
        PIPELINE,
        "R1",
    ),
    (
        "another rollout's cid",
        _set("pipeline_metadata.inference_url", OTHER),
        "ok",
        PIPELINE,
        "R1",
    ),
    (
        "the issued cid on another host",
        _set("pipeline_metadata.inference_url", f"http://h/v1/chat/completions?cid={CID}"),
        "ok",
        ["CID-7"],
        "R6",
    ),
    (
        "a parameter added to the given url",
        _set("pipeline_metadata.inference_url", f"{URL}&added=1"),
        "ok",
        ["CID-7"],
        "R6",
    ),
    (
        "step meta url without cid",
        _set(f"{STEP}.info.meta.inference_url", "http://h/v1/chat/completions"),
        "ok",
        ["CID-2"],
        "R2",
    ),
    (
        "trajectory url with another cid",
        _set("trajectories.0.inference_url", OTHER),
        "ok",
        ["CID-2"],
        "R2",
    ),
    ("trajectory without steps", _set("trajectories.0.steps", []), "ok", ["RO-3"], "R3"),
    ("trajectories null", _set("trajectories", None), "crash: TypeError", ["RO-1"], "R4"),
    ("a step that is not an object", _set("trajectories.0.steps", ["step"]), "ok", ["RO-1"], "R5"),
    ("metrics missing", _set("metrics", _DROP), "ok", ["RO-1"], "R5"),
]


@pytest.mark.parametrize(
    ("mutate", "synth_verdict", "our_failures", "difference"),
    [case[1:] for case in RL_CASES],
    ids=[case[0] for case in RL_CASES],
)
def test_rl_validator_table(
    mutate: Callable[[dict[str, Any]], None],
    synth_verdict: str,
    our_failures: list[str],
    difference: str | None,
) -> None:
    """Each case gets the recorded verdict from both; they agree unless a difference is named."""
    body = copy.deepcopy(_valid())
    mutate(body)
    assert (_theirs(body), _ours(body)) == (synth_verdict, our_failures)
    agree = (synth_verdict, bool(our_failures)) in (("ok", False), ("issues", True))
    assert agree == (difference is None)


@HYPOTHESIS
@given(strategies.rollout_responses())
def test_rl_validator_agrees_on_drawn_responses(body: dict[str, Any]) -> None:
    """Drawn responses with the cid in every location pass both; without it, both fail."""
    for trajectory in body["trajectories"]:
        trajectory["inference_url"] = URL
        for step in trajectory["steps"]:
            step["info"] = {"meta": {"inference_url": URL}}
    body["pipeline_metadata"] = {"inference_url": URL}
    steps_everywhere = all(t["steps"] for t in body["trajectories"])
    assert _theirs(body) == "ok"
    assert _ours(body) == ([] if steps_everywhere else ["RO-3"])
    body["pipeline_metadata"] = {}
    assert _theirs(body) == "issues"
    assert "CID-1" in _ours(body)


def test_every_named_difference_is_explained_in_the_readme() -> None:
    """Each R-number a table row names has its own entry in the README's compatibility section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    named = sorted({case[4] for case in RL_CASES if case[4] is not None})
    assert named == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert [code for code in named if f"- **{code}**" not in readme] == []
