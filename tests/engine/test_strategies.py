"""The public strategies draw what they promise: valid data validates, invalid data does not."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from conformance import strategies as cst
from conformance.contract import (
    ErrorEnvelope,
    HealthResponse,
    InfoResponse,
    RolloutRequest,
    RolloutResponse,
    RootResponse,
    TaskInfo,
    TasksetResponse,
    cid_of,
    extract_cid,
    query_params,
    url_with_cid_first,
)
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINERS,
    LOCALAPI,
    PROFILES,
    RolloutInputs,
)
from conformance.openapi import openapi_document

FAST = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _validator(component: str) -> Any:
    doc = openapi_document()
    schema = {"$ref": f"#/components/schemas/{component}", "components": doc["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


_MODELS: tuple[type[BaseModel], ...] = (
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
    RootResponse,
    HealthResponse,
    InfoResponse,
    TasksetResponse,
    ErrorEnvelope,
)
_VALIDATORS = {model.__name__: _validator(model.__name__) for model in _MODELS}


def _conforms(model: type[BaseModel], value: Any) -> bool:
    """Valid for the strict model and the canonical document."""
    try:
        model.model_validate_json(json.dumps(value), strict=True)
    except ValidationError:
        return False
    return bool(_VALIDATORS[model.__name__].is_valid(value))


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted and names only things the module defines."""
    assert cst.__all__ == sorted(cst.__all__)
    assert all(hasattr(cst, name) for name in cst.__all__)


@FAST
@given(cst.rollout_requests())
def test_rollout_requests_are_valid(body: dict[str, Any]) -> None:
    """Every drawn rollout request validates strictly and against the canonical document."""
    assert _conforms(RolloutRequest, body)


@FAST
@given(cst.rollout_requests(mode="rl"))
def test_rl_requests_carry_a_cid(body: dict[str, Any]) -> None:
    """An rl-mode request always carries a correlation id the app can extract."""
    config = body["policy"]["config"]
    assert extract_cid(config, config["inference_url"])


@FAST
@given(cst.rollout_requests(inference_url="http://127.0.0.1:9", cid="trace_x", mode="rl"))
def test_rollout_requests_honour_fixed_url_and_cid(body: dict[str, Any]) -> None:
    """A fixed inference URL and cid are used as given."""
    config = body["policy"]["config"]
    assert urlsplit(config["inference_url"]).netloc == "127.0.0.1:9"
    assert extract_cid(config, config["inference_url"]) == "trace_x"


@FAST
@given(cst.task_infos())
def test_task_infos_are_valid(info: dict[str, Any]) -> None:
    """Every drawn TaskInfo validates strictly and against the canonical document."""
    assert _conforms(TaskInfo, info)


@FAST
@given(cst.rollout_responses())
def test_rollout_responses_are_valid(body: dict[str, Any]) -> None:
    """Every drawn RolloutResponse validates strictly and against the canonical document."""
    assert _conforms(RolloutResponse, body)


@pytest.mark.parametrize(
    ("strategy", "model"),
    [
        (cst.root_responses(), RootResponse),
        (cst.health_responses(), HealthResponse),
        (cst.info_responses(), InfoResponse),
        (cst.taskset_responses(), TasksetResponse),
        (cst.error_envelopes(), ErrorEnvelope),
    ],
    ids=["root", "health", "info", "taskset", "error_envelope"],
)
def test_endpoint_bodies_are_valid(
    strategy: st.SearchStrategy[dict[str, Any]], model: type[BaseModel]
) -> None:
    """Every drawn `/`, `/health`, `/info`, taskset and error body validates strictly."""

    @FAST
    @given(strategy)
    def drawn_bodies_conform(body: dict[str, Any]) -> None:
        assert _conforms(model, body)

    drawn_bodies_conform()


@pytest.mark.parametrize(
    ("strategy", "model"),
    [
        (cst.invalid_rollout_requests(), RolloutRequest),
        (cst.invalid_task_infos(), TaskInfo),
        (cst.invalid_rollout_responses(), RolloutResponse),
    ],
    ids=["rollout_request", "task_info", "rollout_response"],
)
def test_invalid_values_break_the_contract(
    strategy: st.SearchStrategy[cst.Invalid], model: type[BaseModel]
) -> None:
    """Every drawn invalid value fails the canonical document, whatever field it broke, except
    a request seed only out of 0..MAX_SEED: the document leaves any integer seed open.
    """

    @FAST
    @given(strategy)
    def check(bad: cst.Invalid) -> None:
        if model is RolloutRequest and bad.kind == "out_of_range":
            return
        assert not _VALIDATORS[model.__name__].is_valid(bad.value), bad.describe()

    check()


@FAST
@given(cst.invalid_rollout_requests())
def test_invalid_requests_fail_strict_parsing_or_the_seed_range(bad: cst.Invalid) -> None:
    """Invalid rollout requests fail strict parsing, except seeds that are only out of range."""
    if bad.kind != "out_of_range":
        assert not _conforms(RolloutRequest, bad.value), bad.describe()


def test_invalid_mutations_cover_every_kind() -> None:
    """The invalid strategies include wrong types, missing fields, bools, ranges and oversize."""
    kinds: set[str] = set()

    @settings(max_examples=200, database=None, derandomize=True, deadline=None)
    @given(
        cst.invalid_rollout_requests(
            base={"run_id": "r", "env": {}, "policy": {}, "ops": [], "mode": "eval"}
        )
    )
    def collect(bad: cst.Invalid) -> None:
        kinds.add(bad.kind)

    collect()
    assert {"missing", "wrong_type", "bool_for_int", "out_of_range", "oversize"} <= kinds


@FAST
@given(cst.cids(needs_encoding=True), cst.extra_query_params())
def test_cids_survive_a_url_round_trip(cid: str, params: list[tuple[str, str]]) -> None:
    """Any drawn cid, put first into a URL with other parameters, decodes back exactly."""
    query = urlencode(params)
    url = url_with_cid_first(f"http://h/v1?{query}" if query else "http://h/v1", cid)
    assert cid_of(url) == cid
    assert query_params(url)[1:] == params


@FAST
@given(cst.cids())
def test_plain_cids_need_no_encoding(cid: str) -> None:
    """Default cids use only unreserved URL characters."""
    assert set(cid) <= set(cst.CID_ALPHABET)


@FAST
@given(cst.inference_urls(with_cid=True, cid="c-1%"))
def test_inference_urls_carry_the_cid(url: str) -> None:
    """A URL drawn with a fixed cid decodes to that cid."""
    assert cid_of(url) == "c-1%"


@FAST
@given(cst.seeds())
def test_seeds_are_in_range(seed: int) -> None:
    """Seeds are integers from 0 to MAX_SEED."""
    assert 0 <= seed <= cst.MAX_SEED


@pytest.mark.parametrize(
    "profile", [LOCALAPI, CONTAINER, CONTAINERS], ids=[LOCALAPI, CONTAINER, CONTAINERS]
)
@FAST
@given(data=st.data())
def test_invalid_rollout_requests_break_one_field_of_each_generations_body(
    profile: str, data: st.DataObject
) -> None:
    """A later generation's invalid bodies are its own valid body with one field broken."""
    inputs = RolloutInputs(cid="trace_1", inference_url="http://127.0.0.1:9/v1")
    base = PROFILES[profile].rollout_request(inputs)
    bad = data.draw(cst.invalid_rollout_requests(base, profile=profile))
    top = bad.field.split(".")[0]
    assert {k: v for k, v in bad.value.items() if k != top} == {
        k: v for k, v in base.items() if k != top
    }
    assert bad.value != base


def test_a_later_generation_needs_a_base_body() -> None:
    """Only legacy-0.2's valid bodies are drawn; the others must be given one to break."""
    with pytest.raises(ValueError, match="needs a valid base body"):
        cst.invalid_rollout_requests(profile=LOCALAPI)
