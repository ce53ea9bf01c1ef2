"""Broken variants of the later generations' reference apps that only generated inputs find:
FUZZ-1, judged as each generation against its own canonical document, must fail each, while the
unbroken reference app of that generation passes.

Each breaks its rule for the whole class of request it models (every rollout without a cid,
every rollout with a field the app does not know), never for a value the fuzzer happens to draw.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.contract.profiles import CONTAINER, CONTAINERS, LOCALAPI
from conformance.target import Target, embedded_target
from tests.faults import KEY
from tests.faults.asgi import Exchange, FaultyApp


@dataclass(frozen=True)
class GenerationFuzzFault:
    name: str
    profile: str
    make: Callable[[Any], Any]
    """Wraps the generation's reference app (an ASGI app) into the broken variant."""

    def target(self) -> Target:
        """The broken app in-process, with the credential the generation wants."""
        return wrapped_target(self.profile, self.make, self.name)


def wrapped_target(profile: str, make: Callable[[Any], Any], label: str) -> Target:
    """The reference app of `profile` (its key or signing key kept) under `make`."""
    reference = embedded_target(KEY, profile=profile)
    rebuild = reference.rebuild
    assert reference.app is not None
    assert rebuild is not None
    return dataclasses.replace(
        reference,
        label=label,
        app=make(reference.app),
        rebuild=lambda environ: make(rebuild(environ)),
    )


def _crash(ex: Exchange) -> None:
    ex.status, ex.response_body = 500, b"Internal Server Error"
    ex.response_headers = [(b"content-type", b"text/plain; charset=utf-8")]


def _rollout_body(ex: Exchange, path: str) -> Any:
    return ex.request_json() if ex.method == "POST" and ex.path == path else None


def _after(hook: Callable[[Exchange], None]) -> Callable[[Any], Any]:
    return lambda app: FaultyApp(app, after=hook)


# --- localapi: a rollout without a cid crashes (synth-ai answers 422) --------------------------


def _crash_without_cid(ex: Exchange) -> None:
    body = _rollout_body(ex, "/rollout")
    if isinstance(body, dict) and not isinstance(body.get("trace_correlation_id"), str):
        ex.path = "/crash"  # never reaches the app's own handler
        ex.notes["crash"] = True


def _finish_crash(ex: Exchange) -> None:
    if ex.notes.get("crash"):
        _crash(ex)


# --- container: the 0.4.12 name `metrics` instead of `reward_info` ------------------------------


def _metrics_not_reward_info(ex: Exchange) -> None:
    body = ex.json()
    if ex.path == "/rollout" and ex.status == 200 and isinstance(body, dict):
        body["metrics"] = body.pop("reward_info", None)
        ex.set_json(body)


# --- containers-2026-05: a refused submission crashes (an unknown field, a bad rollout_id) ----


def _refusal_is_a_crash(ex: Exchange) -> None:
    """The app's strict parsing raises instead of answering 422 (the package's adapter: 422)."""
    if ex.method == "POST" and ex.path == "/rollouts" and 400 <= ex.status < 500:
        _crash(ex)


GENERATION_FUZZ_FAULTS = (
    GenerationFuzzFault(
        "localapi_missing_cid_500",
        LOCALAPI,
        lambda app: FaultyApp(app, before=_crash_without_cid, after=_finish_crash),
    ),
    GenerationFuzzFault(
        "container_metrics_not_reward_info", CONTAINER, _after(_metrics_not_reward_info)
    ),
    GenerationFuzzFault(
        "containers_refusal_500",
        CONTAINERS,
        _after(_refusal_is_a_crash),
    ),
)
"""One broken variant per later generation; FUZZ-1 fails each."""


# --- property checks of the later generations ---------------------------------------------------


@dataclass(frozen=True)
class GenerationPropertyFault:
    """A broken variant of a later generation's reference app that one property check fails."""

    name: str
    profile: str
    check: str
    make: Callable[[Any], Any]

    def target(self) -> Target:
        return wrapped_target(self.profile, self.make, self.name)


def _nonce_in_odd_instances(ex: Exchange) -> None:
    """The TaskInfo of every odd seed carries a fresh nonce (their generator is unseeded): the
    same odd seed never answers the same body twice.
    """
    body = ex.json()
    seed = body.get("task_metadata", {}).get("seed") if isinstance(body, dict) else None
    if ex.path == "/task_info" and ex.status == 200 and isinstance(seed, int) and seed % 2:
        body.setdefault("task_metadata", {})["nonce"] = uuid.uuid4().hex
        ex.set_json(body)


def _cid_lower_cased(ex: Exchange) -> None:
    """The echoed cid is lower-cased (a case-insensitive store keyed the rollout)."""
    body = ex.json()
    if ex.path == "/rollout" and ex.status == 200 and isinstance(body, dict):
        cid = body.get("trace_correlation_id")
        if isinstance(cid, str):
            body["trace_correlation_id"] = cid.lower()
            ex.set_json(body)


def _crash_on_unknown_mode(ex: Exchange) -> None:
    """A submission_mode other than sync/async raises (synth-containers' own adapter does)."""
    body = _rollout_body(ex, "/rollouts")
    if isinstance(body, dict) and body.get("submission_mode") not in (None, "sync", "async"):
        ex.path = "/crash"
        ex.notes["crash"] = True


GENERATION_PROPERTY_FAULTS = (
    GenerationPropertyFault(
        "localapi_instances_unstable", LOCALAPI, "PROP-1", _after(_nonce_in_odd_instances)
    ),
    GenerationPropertyFault(
        "container_cid_lower_cased", CONTAINER, "PROP-2", _after(_cid_lower_cased)
    ),
    GenerationPropertyFault(
        "localapi_missing_cid_500",
        LOCALAPI,
        "PROP-4",
        lambda app: FaultyApp(app, before=_crash_without_cid, after=_finish_crash),
    ),
    GenerationPropertyFault(
        "containers_unknown_mode_500",
        CONTAINERS,
        "PROP-4",
        lambda app: FaultyApp(app, before=_crash_on_unknown_mode, after=_finish_crash),
    ),
)
"""One broken variant per property check and later generation it applies to (PROP-1 and
PROP-2 alike under localapi and container, so one of each)."""
