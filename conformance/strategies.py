"""Public Hypothesis strategies for task-app contract data, valid and invalid.

Valid strategies draw JSON-ready dicts (what goes on the wire) that validate as the
contract models in pydantic strict mode and against the canonical OpenAPI document
(`conformance.openapi`). Invalid strategies draw an `Invalid`: a valid value with
exactly one field broken (wrong type, missing, bool for int, out of range, oversize).

Reuse them in your own tests::

    from hypothesis import given
    from conformance import strategies as cst

    @given(cst.rollout_requests(mode="eval", inference_url="http://127.0.0.1:9000"))
    def test_my_app_accepts_rollouts(body): ...

    @given(cst.invalid_rollout_requests())
    def test_my_app_rejects_bad_rollouts(bad): assert post(bad.value).status_code == 422
"""

from __future__ import annotations

import copy
import importlib
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from hypothesis import strategies as st

from conformance.contract.constants import (
    CID_QUERY_PARAM,
    CID_QUERY_PARAMS,
    MIN_SEED,
    SEED_QUERY_PARAMS,
)
from conformance.contract.constants import MAX_SEED as MAX_SEED
from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI, profile_named


def _jsonl_strategies() -> dict[str, Any]:
    """The SFT-record strategies of `conformance.jsonl.strategies`, when that module exists."""
    try:
        module = importlib.import_module("conformance.jsonl.strategies")
    except ImportError:
        return {}
    return {name: getattr(module, name) for name in getattr(module, "__all__", ())}


_JSONL_STRATEGIES: Final = _jsonl_strategies()
globals().update(_JSONL_STRATEGIES)

__all__ = sorted(
    [
        "CID_ALPHABET",
        "MAX_SEED",
        "OVERSIZE_CHARS",
        "Invalid",
        "cids",
        "error_envelopes",
        "extra_query_params",
        "health_responses",
        "inference_urls",
        "info_responses",
        "invalid_rollout_requests",
        "invalid_rollout_responses",
        "invalid_task_info_queries",
        "invalid_task_infos",
        "rollout_requests",
        "rollout_responses",
        "root_responses",
        "seeds",
        "task_infos",
        "taskset_responses",
        *_JSONL_STRATEGIES,
    ]
)

CID_ALPHABET: Final = string.ascii_letters + string.digits + "-._~"
"""The unreserved URL characters (RFC 3986): cids made of these need no encoding."""
_NEEDS_ENCODING: Final = "%&=+/?#:@!$'()*,; é中"
OVERSIZE_CHARS: Final = 10_000
"""Length of the oversize strings drawn by the invalid strategies."""

_TEXT: Final = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=20
)
_NAME: Final = st.text(CID_ALPHABET, min_size=1, max_size=32)
_JSON_LEAF: Final = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | _TEXT
_JSON: Final = st.recursive(
    _JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAME, inner, max_size=3),
    max_leaves=6,
)


def seeds() -> st.SearchStrategy[int]:
    """Seeds the contract guarantees: integers from 0 to `MAX_SEED`, edges included."""
    return st.integers(min_value=MIN_SEED, max_value=MAX_SEED)


def cids(*, needs_encoding: bool = False) -> st.SearchStrategy[str]:
    """Correlation ids in the forms real systems use (`trace_<hex>`, `smoke-<uuid>`, ...).

    With `needs_encoding=True`, also ids containing `%`, `&`, `=`, `/`, spaces and
    non-ASCII letters, which only survive a URL when percent-encoded. Never empty,
    never with leading or trailing whitespace (apps may strip it).
    """
    hex32 = st.text("0123456789abcdef", min_size=32, max_size=32)
    forms = [
        hex32.map(lambda h: f"trace_{h}"),
        st.uuids().map(lambda u: f"smoke-{u}"),
        st.just("trace_contract_validation"),
        st.text(CID_ALPHABET, min_size=1, max_size=128),
    ]
    if needs_encoding:
        alphabet = CID_ALPHABET + _NEEDS_ENCODING
        forms.append(
            st.text(alphabet, min_size=1, max_size=64)
            .map(str.strip)
            .filter(bool)
            .filter(lambda c: any(ch in _NEEDS_ENCODING for ch in c))
        )
        forms.append(st.sampled_from(["100%-sure", "a%2Fb", "x-y&z=1", "trace 1/2", "résumé-中"]))
    return st.one_of(forms)


def extra_query_params() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Other query parameters an inference URL may carry (never a cid parameter)."""
    name = _NAME.filter(lambda n: n not in CID_QUERY_PARAMS)
    value = st.text(CID_ALPHABET + " /:,", max_size=16)
    known = st.sampled_from([("api-version", "2024-06-01"), ("model", "gpt-x"), ("tenant", "a b")])
    return st.lists(known | st.tuples(name, value), max_size=3, unique_by=lambda p: p[0])


def inference_urls(
    *, base: str | None = None, cid: str | None = None, with_cid: bool | None = None
) -> st.SearchStrategy[str]:
    """Inference URLs with or without a path, other query parameters and a `?cid=`.

    `base` fixes scheme, host and path (for a live mock); `cid` fixes the correlation
    id (drawn when None, including ids that need encoding); `with_cid` forces the cid
    in (True) or out (False); None draws either.
    """
    bases = (
        st.just(base)
        if base
        else st.sampled_from(
            [
                "https://api.example.com",
                "http://127.0.0.1:8000/v1",
                "https://modal.host/proxy/v1/chat/completions",
                "http://localhost:9000/api/",
            ]
        )
    )
    cid_values: st.SearchStrategy[str] = (
        st.just(cid) if cid is not None else cids(needs_encoding=True)
    )
    presence = st.just(with_cid) if with_cid is not None else st.booleans()

    @st.composite
    def build(draw: st.DrawFn) -> str:
        url, params = draw(bases), draw(extra_query_params())
        pairs = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params]
        if draw(presence):
            value = draw(cid_values)
            at = draw(st.integers(0, len(pairs)))
            pairs.insert(at, f"{CID_QUERY_PARAM}={quote(value, safe='')}")
        return f"{url}?{'&'.join(pairs)}" if pairs else url

    return build()


def _ops() -> st.SearchStrategy[list[Any]]:
    strings = st.lists(st.sampled_from(["agent", "env"]), max_size=6)
    dicts = st.lists(st.dictionaries(_NAME, _JSON, max_size=2), max_size=3)
    return strings | dicts


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def _record(draw: st.DrawFn) -> dict[str, Any]:
    fields = {
        "trajectories": st.booleans(),
        "logprobs": st.booleans(),
        "value": st.booleans(),
        "return_trace": st.booleans(),
        "trace_format": st.sampled_from(["compact", "full", "structured"]),
    }
    chosen = draw(st.sets(st.sampled_from(sorted(fields))))
    return {name: draw(fields[name]) for name in sorted(chosen)}


def rollout_requests(
    *,
    mode: str | None = None,
    inference_url: str | None = None,
    cid: str | None = None,
    splits: Sequence[str] = ("train", "val", "test"),
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid `/rollout` bodies in both modes with varied env, policy, ops, record and seeds.

    `inference_url` is the live endpoint to put in `policy.config` (drawn otherwise);
    rl-mode bodies always carry a cid in `policy.config.trace_correlation_id` and/or
    the URL's `?cid=`; `cid` fixes it.
    """

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        chosen_mode = mode or draw(st.sampled_from(["rl", "eval"]))
        chosen_cid = cid if cid is not None else draw(cids())
        where = draw(st.sampled_from(["url", "config", "both"]))
        if chosen_mode == "eval" and draw(st.booleans()):
            where = "none"
        url = draw(
            inference_urls(base=inference_url, cid=chosen_cid, with_cid=where in ("url", "both"))
        )
        policy_config: dict[str, Any] = {"inference_url": url, "model": draw(_NAME)}
        if where in ("config", "both"):
            policy_config["trace_correlation_id"] = chosen_cid
        seed = draw(_optional(seeds()))
        env_config: dict[str, Any] = {"split": draw(st.sampled_from(list(splits)))}
        if seed is not None:
            env_config["index"] = seed
        body: dict[str, Any] = {
            "run_id": draw(_NAME),
            "env": {"env_name": draw(_optional(_NAME)), "seed": seed, "config": env_config},
            "policy": {"policy_name": draw(_optional(_NAME)), "config": policy_config},
            "ops": draw(_ops()),
            "mode": chosen_mode,
        }
        if draw(st.booleans()):
            body["record"] = draw(_record())
        if draw(st.booleans()):
            body["safety"] = {
                "max_ops": draw(st.integers(1, 10**6)),
                "max_time_s": draw(st.floats(1, 3600)),
            }
        return body

    return build()


def _section(draw: st.DrawFn) -> dict[str, Any]:
    criteria: list[dict[str, Any]] = draw(
        st.lists(st.builds(dict, id=_NAME, description=_TEXT), max_size=2)
    )
    return {"name": draw(_NAME), "criteria": criteria}


@st.composite
def task_infos(draw: st.DrawFn) -> dict[str, Any]:
    """Valid `TaskInfo` objects, sometimes with extra keys (allowed by §3.4)."""
    limit = _optional(st.integers(0, 10_000))
    info: dict[str, Any] = {
        "task": {"id": draw(_NAME), "name": draw(_TEXT), "version": draw(_optional(_NAME))},
        "environment": draw(_NAME),
        "dataset": {
            "id": draw(_optional(_NAME)),
            "splits": draw(_optional(st.lists(_NAME, max_size=3))),
        },
        "rubric": {"outcome": _section(draw)} if draw(st.booleans()) else {},
        "inference": {"model": draw(_optional(_NAME))},
        "limits": {"max_turns": draw(limit), "timeout_seconds": draw(limit)},
        "task_metadata": draw(st.dictionaries(_NAME, _JSON, max_size=3)),
    }
    if draw(st.booleans()):
        info["taskset"] = {"id": draw(_NAME)}
    return info


@st.composite
def rollout_responses(draw: st.DrawFn) -> dict[str, Any]:
    """Valid `RolloutResponse` objects with one or more trajectories."""
    reward = st.floats(0, 1)
    trajectories = []
    for _ in range(draw(st.integers(1, 2))):
        n = draw(st.integers(0, 3))
        step: st.SearchStrategy[dict[str, Any]] = st.builds(
            dict,
            obs=st.dictionaries(_NAME, _JSON, max_size=2),
            tool_calls=st.just([]),
            reward=reward,
            done=st.booleans(),
        )
        trajectories.append(
            {
                "env_id": draw(_NAME),
                "policy_id": draw(_NAME),
                "length": n,
                "steps": draw(st.lists(step, min_size=n, max_size=n)),
                "inference_url": draw(inference_urls()),
            }
        )
    returns = draw(st.lists(reward, min_size=1, max_size=3))
    return {
        "run_id": draw(_NAME),
        "trajectories": trajectories,
        "metrics": {
            "episode_returns": returns,
            "mean_return": sum(returns) / len(returns),
            "num_steps": sum(t["length"] for t in trajectories),
            "num_episodes": 1,
        },
        "trace_correlation_id": draw(_optional(cids())),
        "pipeline_metadata": {"inference_url": draw(inference_urls())},
    }


def root_responses() -> st.SearchStrategy[dict[str, Any]]:
    """Valid `GET /` bodies: non-empty `status` and `service`."""
    return st.fixed_dictionaries({"status": _NAME, "service": _NAME})


def health_responses() -> st.SearchStrategy[dict[str, Any]]:
    """Valid `GET /health` bodies (§10.1 item 5)."""
    auth = st.fixed_dictionaries({"required": st.booleans(), "expected_prefix": _TEXT})
    return st.fixed_dictionaries({"healthy": st.booleans(), "auth": auth})


@st.composite
def info_responses(draw: st.DrawFn) -> dict[str, Any]:
    """Valid `GET /info` bodies: every section an object (never a `"<circular ...>"`)."""
    instance = draw(task_infos())
    return {
        "service": {"task": instance["task"], "version": draw(_optional(_NAME))},
        "dataset": instance["dataset"],
        "rubrics": draw(_optional(st.dictionaries(_NAME, _JSON, max_size=2))),
        "inference": instance["inference"],
        "limits": instance["limits"],
    }


def taskset_responses() -> st.SearchStrategy[dict[str, Any]]:
    """Valid `GET /task_info` bodies without a seed: `{"taskset": {...}}`."""
    return st.fixed_dictionaries({"taskset": st.dictionaries(_NAME, _JSON, max_size=3)})


def error_envelopes() -> st.SearchStrategy[dict[str, Any]]:
    """The error envelope `{"detail": {"error": {"code", "message"}}}` with drawn values."""
    error = st.fixed_dictionaries({"code": _NAME, "message": _TEXT})
    return st.fixed_dictionaries({"detail": st.fixed_dictionaries({"error": error})})


# --- invalid data ------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """A value with exactly one field broken; `field` is a dotted path, `kind` says how."""

    value: Any
    field: str
    kind: str

    def describe(self) -> str:
        """`env.seed: bool_for_int` — for failure messages."""
        return f"{self.field}: {self.kind}"


_MISSING: Final = object()
_Mutation = tuple[str, str, Any]
_OVERSIZE: Final = "x" * OVERSIZE_CHARS

_ROLLOUT_MUTATIONS: Final[tuple[_Mutation, ...]] = (
    *(("missing", f, _MISSING) for f in ("run_id", "env", "policy", "ops", "mode")),
    ("wrong_type", "run_id", 7),
    ("wrong_type", "run_id", None),
    ("wrong_type", "env", "env"),
    ("wrong_type", "policy", ["p"]),
    ("wrong_type", "ops", "agent"),
    ("wrong_type", "ops", [{"op": 1}, "env"]),
    ("wrong_type", "mode", 1),
    ("not_in_enum", "mode", "EVAL"),
    ("wrong_type", "env.seed", "1"),
    ("wrong_type", "env.seed", 1.5),
    ("wrong_type", "env.config", ["split"]),
    ("wrong_type", "policy.config", "config"),
    ("wrong_type", "record", "all"),
    ("not_in_enum", "record.trace_format", "verbose"),
    ("wrong_type", "record.return_trace", "yes"),
    ("wrong_type", "safety.max_ops", "many"),
    ("wrong_type", "on_done", 3),
    ("bool_for_int", "env.seed", True),
    ("bool_for_int", "env.seed", False),
    ("bool_for_int", "safety.max_ops", True),
    ("out_of_range", "env.seed", -1),
    ("out_of_range", "env.seed", MAX_SEED + 1),
    ("out_of_range", "env.seed", 10**30),
    ("oversize", "mode", _OVERSIZE),
    ("oversize", "record.trace_format", _OVERSIZE),
    ("oversize", "env.seed", "9" * OVERSIZE_CHARS),
)
_SYNTH_AI_ROLLOUT_MUTATIONS: Final[tuple[_Mutation, ...]] = (
    *(("missing", f, _MISSING) for f in ("trace_correlation_id", "env", "policy")),
    ("wrong_type", "trace_correlation_id", 7),
    ("wrong_type", "trace_correlation_id", None),
    ("wrong_type", "env", "env"),
    ("wrong_type", "policy", ["p"]),
    ("wrong_type", "env.seed", "1"),
    ("wrong_type", "env.seed", 1.5),
    ("wrong_type", "env.config", ["split"]),
    ("wrong_type", "policy.config", "config"),
    ("not_in_enum", "policy.output_mode", "TOOL_CALLS"),
    ("wrong_type", "policy.structured_config", "json"),
    ("wrong_type", "safety", "all"),
    ("wrong_type", "safety.max_time_s", "long"),
    ("wrong_type", "context_overrides", "overrides"),
    ("wrong_type", "context_overrides", [{"env_vars": "A=1"}]),
    ("wrong_type", "on_done", 3),
    ("bool_for_int", "env.seed", True),
    ("out_of_range", "env.seed", -1),
    ("out_of_range", "env.seed", 10**30),
    ("oversize", "trace_correlation_id", _OVERSIZE),
    ("oversize", "env.seed", "9" * OVERSIZE_CHARS),
)
"""`localapi` and `container` requests (synth-ai 0.6.6 / 0.9.11 `RolloutRequest`)."""
_CONTAINERS_ROLLOUT_MUTATIONS: Final[tuple[_Mutation, ...]] = (
    ("wrong_type", "rollout_id", 7),
    ("out_of_range", "rollout_id", ""),
    ("not_in_enum", "submission_mode", "later"),
    ("wrong_type", "submission_mode", ["sync"]),
    ("wrong_type", "seed", "1"),
    ("wrong_type", "seed", 1.5),
    ("bool_for_int", "seed", True),
    ("out_of_range", "seed", 10**30),
    ("wrong_type", "env", ["seed"]),
    ("wrong_type", "policy", ["p"]),
    ("missing", "policy.model", _MISSING),
    ("wrong_type", "policy.max_tokens", "many"),
    ("not_in_enum", "policy.api_family", "completions"),
    ("wrong_type", "telemetry", "on"),
    ("wrong_type", "actors", [{"role": "solo"}]),
    ("oversize", "rollout_id", _OVERSIZE),
    ("oversize", "trace_correlation_id", _OVERSIZE),
)
"""`containers-2026-05` requests (synth-containers 0.4.6 `RolloutRequestModel` and the SDK's
`RolloutSubmissionPayload`)."""
_ROLLOUT_MUTATIONS_BY_PROFILE: Final = {
    LEGACY: _ROLLOUT_MUTATIONS,
    LOCALAPI: _SYNTH_AI_ROLLOUT_MUTATIONS,
    CONTAINER: _SYNTH_AI_ROLLOUT_MUTATIONS,
    CONTAINERS: _CONTAINERS_ROLLOUT_MUTATIONS,
}
_TASK_INFO_MUTATIONS: Final[tuple[_Mutation, ...]] = (
    *(
        ("missing", f, _MISSING)
        for f in (
            "task",
            "environment",
            "dataset",
            "rubric",
            "inference",
            "limits",
            "task.id",
            "task.name",
        )
    ),
    ("wrong_type", "environment", 1),
    ("wrong_type", "dataset", []),
    ("wrong_type", "task.id", 5),
    ("wrong_type", "limits.max_turns", "4"),
    ("wrong_type", "task_metadata", "meta"),
    ("bool_for_int", "limits.max_turns", True),
    ("out_of_range", "limits.max_turns", -1),
    ("oversize", "limits.timeout_seconds", "9" * OVERSIZE_CHARS),
)
_RESPONSE_MUTATIONS: Final[tuple[_Mutation, ...]] = (
    *(
        ("missing", f, _MISSING)
        for f in (
            "run_id",
            "trajectories",
            "metrics",
            "metrics.num_steps",
            "metrics.episode_returns",
            "metrics.mean_return",
            "trajectories.0.length",
            "trajectories.0.inference_url",
        )
    ),
    ("wrong_type", "metrics.episode_returns", 1.0),
    ("wrong_type", "metrics.num_steps", 1.5),
    ("wrong_type", "aborted", "no"),
    ("wrong_type", "trajectories", {}),
    ("bool_for_int", "metrics.num_steps", True),
    ("bool_for_int", "trajectories.0.length", False),
    ("out_of_range", "metrics.num_steps", -1),
    ("out_of_range", "trajectories.0.length", -1),
    ("oversize", "ops_executed", "9" * OVERSIZE_CHARS),
)


def _mutate(value: dict[str, Any], mutation: _Mutation) -> Invalid:
    kind, path, new = mutation
    broken = copy.deepcopy(value)
    *parents, last = path.split(".")
    target: Any = broken
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    if new is _MISSING:
        target.pop(last, None)
    else:
        target[last] = new
    return Invalid(value=broken, field=path, kind=kind)


def _invalid(
    valid: st.SearchStrategy[dict[str, Any]], mutations: Sequence[_Mutation]
) -> st.SearchStrategy[Invalid]:
    return st.builds(_mutate, valid, st.sampled_from(mutations))


def invalid_rollout_requests(
    base: dict[str, Any] | None = None, *, profile: str = LEGACY
) -> st.SearchStrategy[Invalid]:
    """Rollout bodies of generation `profile` with one field broken; `base` is the valid body
    to break (required for every generation but `legacy-0.2`, whose valid bodies are drawn).
    """
    if base is None and profile != LEGACY:
        raise ValueError(f"invalid_rollout_requests(profile={profile!r}) needs a valid base body")
    valid = st.just(base) if base is not None else rollout_requests()
    return _invalid(valid, _ROLLOUT_MUTATIONS_BY_PROFILE[profile_named(profile).name])


def invalid_task_infos() -> st.SearchStrategy[Invalid]:
    """`TaskInfo` objects with one field broken."""
    return _invalid(task_infos(), _TASK_INFO_MUTATIONS)


def invalid_rollout_responses() -> st.SearchStrategy[Invalid]:
    """`RolloutResponse` objects with one field broken."""
    return _invalid(rollout_responses(), _RESPONSE_MUTATIONS)


def invalid_task_info_queries() -> st.SearchStrategy[Invalid]:
    """`/task_info` query values a conforming app refuses with 4xx; `value` is the raw seed text."""
    above, below = st.integers(MAX_SEED + 1, 10**40), st.integers(max_value=MIN_SEED - 1)
    numbers = above.map(str) | below.map(str)
    fixed = st.sampled_from(["true", "1.5", "abc", "1,2", "", " 1", "0x10", "9" * OVERSIZE_CHARS])
    return st.builds(
        Invalid,
        value=numbers | fixed,
        field=st.sampled_from(SEED_QUERY_PARAMS),
        kind=st.just("invalid_seed"),
    )
