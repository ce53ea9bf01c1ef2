"""Correlation-id (`?cid=`) helpers shared by the harness and the reference app (spec §4.2, §4.6).

These fix the defects of synth-ai's `normalize_inference_url` (D26): a query value
is never moved into the path, and every other query parameter survives untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from conformance.contract.constants import CID_QUERY_PARAM, CID_QUERY_PARAMS

_COMPLETIONS_SUFFIX = "/chat/completions"


def query_params(url: str) -> list[tuple[str, str]]:
    """The decoded query parameters of `url`, in order, blank values kept."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def extract_cid(policy_config: Mapping[str, Any], inference_url: str | None = None) -> str | None:
    """Return the correlation id a rollout request carries, as synth-ai extracts it (§4.6).

    `policy.config.trace_correlation_id`, then `policy.config.trace`, then the
    `cid`, `trace_correlation_id`, `trace` query parameters of the inference URL.
    """
    for key in ("trace_correlation_id", "trace"):
        value = policy_config.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if not isinstance(inference_url, str) or not inference_url:
        return None
    params = query_params(inference_url)
    for name in CID_QUERY_PARAMS:
        for key, value in params:
            if key == name and value.strip():
                return value.strip()
    return None


def _encoded_cid(cid: str) -> str:
    return f"{CID_QUERY_PARAM}={quote(cid, safe='')}"


def _raw_params_without_cid(query: str) -> list[str]:
    """Raw `k=v` pieces of a query string except `cid`, byte-for-byte as given."""
    return [p for p in query.split("&") if p and p.split("=", 1)[0] != CID_QUERY_PARAM]


def url_with_cid_first(url: str, cid: str) -> str:
    """`url` with `cid=<cid>` as its first query parameter and every other parameter kept.

    The RL validator tests for the literal substring `?cid=` (§4.1), so the cid goes first.
    """
    parts = urlsplit(url)
    query = "&".join([_encoded_cid(cid), *_raw_params_without_cid(parts.query)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def base_url_with_cid(url: str, cid: str) -> str:
    """`scheme://host?cid=<cid>`, the base-only form the 0.2.24 checker wants (§4.5)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", _encoded_cid(cid), ""))


def chat_completions_url(url: str) -> str:
    """The chat-completions endpoint for an inference base URL; the query is kept verbatim."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(_COMPLETIONS_SUFFIX):
        if path.endswith("/v1"):
            path += _COMPLETIONS_SUFFIX
        elif path.endswith("/chat"):
            path += "/completions"
        else:
            path += "/v1" + _COMPLETIONS_SUFFIX
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def cid_of(url: str) -> str | None:
    """The decoded value of the `cid` query parameter of `url`, if any."""
    for key, value in query_params(url):
        if key == CID_QUERY_PARAM:
            return value
    return None
