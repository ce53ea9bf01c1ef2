"""Broken variants that only generated inputs find (issue #5): each must be caught by fuzzing
or by the property checks, while the reference app passes both.

`FUZZ_FAULTS` lists them with every check each one fails (`breaks`); FUZZ-1 among them means
the fuzzer (`run_fuzz`) catches it. Accepting a value synth-ai's own models accept (`true`
as a seed) is no crash: only PROP-3, a SHOULD, flags it, and fuzzing does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from conformance.contract import MAX_SEED, RolloutRequest
from tests.faults.asgi import Exchange, FaultyApp


@dataclass(frozen=True)
class FuzzFault:
    name: str
    breaks: frozenset[str]
    """Every check this variant fails: property checks, FUZZ-1, and any other check that notices."""
    make: Callable[[Any], Any]

    @property
    def fuzz_catches(self) -> bool:
        """Whether `run_fuzz` finds it."""
        return "FUZZ-1" in self.breaks

    def app(self, key: str) -> Any:
        from reference_app import build_config, create_app

        return self.make(create_app(build_config(environ={"ENVIRONMENT_API_KEY": key})))


def _rollout_json(ex: Exchange) -> Any:
    return ex.request_json() if ex.method == "POST" and ex.path == "/rollout" else None


def _set_request_json(ex: Exchange, body: Any) -> None:
    ex.body = json.dumps(body).encode()
    ex.headers["content-length"] = str(len(ex.body))


# --- 1. lenient parsing: "seed": true is taken as 1 --------------------------------------


def _bool_seed_as_int(ex: Exchange) -> None:
    body = _rollout_json(ex)
    env = body.get("env") if isinstance(body, dict) else None
    if isinstance(env, dict) and isinstance(env.get("seed"), bool):
        env["seed"] = int(env["seed"])
        _set_request_json(ex, body)


# --- 2. a huge seed crashes the app --------------------------------------------------------


def _is_huge(value: Any) -> bool:
    if isinstance(value, str):
        return value.isdigit() and (len(value) > 10 or int(value) > MAX_SEED)
    return isinstance(value, int) and not isinstance(value, bool) and value > MAX_SEED


def _crash_on_huge_seed(ex: Exchange) -> None:
    if any(_is_huge(s) for s in _seeds_sent(ex)):
        _crash(ex)


def _seeds_sent(ex: Exchange) -> list[Any]:
    seeds: list[Any] = [v for k, v in parse_qsl(ex.query) if k in ("seed", "seeds")]
    body = _rollout_json(ex)
    env = body.get("env") if isinstance(body, dict) else None
    if isinstance(env, dict):
        seeds.append(env.get("seed"))
    return seeds


def _crash(ex: Exchange) -> None:
    ex.status, ex.response_body = 500, b"Internal Server Error"
    ex.response_headers = [(b"content-type", b"text/plain; charset=utf-8")]


# --- 2b. a negative seed crashes the app (the contract leaves it open: serve it or 4xx) -------


def _is_negative(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("-") and value[1:].isdigit()
    return isinstance(value, int) and value < 0


def _crash_on_negative_seed(ex: Exchange) -> None:
    if any(_is_negative(s) for s in _seeds_sent(ex)):
        _crash(ex)


# --- 2c. an extra field in a rollout body crashes the app (extra fields are ignored, §3) -----


def _crash_on_extra_field(ex: Exchange) -> None:
    body = _rollout_json(ex)
    if isinstance(body, dict) and set(body) - set(RolloutRequest.model_fields):
        _crash(ex)


# --- 3. a required field goes missing for some seeds ---------------------------------------


def _unlucky(seed: Any) -> bool:
    """A third of the seeds from 100 up: beyond the small seeds hand-written checks use, so
    only drawn and generated seeds find it, and no check depends on which seed it picked.
    """
    return isinstance(seed, int) and seed >= 100 and seed % 3 == 1


def _drop_field_for_some_seeds(ex: Exchange) -> None:
    body = ex.json()
    if ex.status != 200 or body is None:
        return
    if ex.path == "/rollout" and _unlucky(body["pipeline_metadata"].get("seed")):
        del body["metrics"]
    elif ex.path == "/task_info":
        for item in body if isinstance(body, list) else [body]:
            if _unlucky(item.get("task_metadata", {}).get("seed")):
                item.pop("environment", None)
    else:
        return
    ex.set_json(body)


# --- 4. a cid containing '%' or '-' is mangled ---------------------------------------------


def _mangle(cid: str) -> str:
    return cid.replace("-", "_").replace("%", "")


def _mangle_url(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(
        f"{quote(k, safe='')}={quote(_mangle(v) if k == 'cid' else v, safe='')}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _mangle_cids(ex: Exchange) -> None:
    body = _rollout_json(ex)
    policy = body.get("policy") if isinstance(body, dict) else None
    config = policy.get("config") if isinstance(policy, dict) else None
    if not isinstance(config, dict):
        return
    if isinstance(config.get("trace_correlation_id"), str):
        config["trace_correlation_id"] = _mangle(config["trace_correlation_id"])
    if isinstance(config.get("inference_url"), str):
        config["inference_url"] = _mangle_url(config["inference_url"])
    _set_request_json(ex, body)


FUZZ_FAULTS = (
    FuzzFault(
        "bool_seed_accepted_as_int",
        frozenset({"PROP-3"}),
        lambda app: FaultyApp(app, before=_bool_seed_as_int),
    ),
    FuzzFault(
        "huge_seed_500",
        frozenset({"PROP-3", "PROP-4", "FUZZ-1"}),
        lambda app: FaultyApp(app, after=_crash_on_huge_seed),
    ),
    FuzzFault(
        "negative_seed_500",
        frozenset({"PROP-3", "PROP-4", "FUZZ-1"}),
        lambda app: FaultyApp(app, after=_crash_on_negative_seed),
    ),
    FuzzFault(
        "extra_rollout_field_500",
        frozenset({"FUZZ-1"}),
        lambda app: FaultyApp(app, after=_crash_on_extra_field),
    ),
    FuzzFault(
        "field_dropped_for_some_seeds",
        frozenset({"PROP-1", "FUZZ-1"}),
        lambda app: FaultyApp(app, after=_drop_field_for_some_seeds),
    ),
    FuzzFault(
        "cid_with_percent_or_dash_mangled",
        frozenset({"PROP-2"}),
        lambda app: FaultyApp(app, before=_mangle_cids),
    ),
)
