"""The policy's side of a rollout: one OpenAI-compatible chat-completions call per step."""

from __future__ import annotations

from typing import Any

import httpx

from reference_app.errors import TaskAppError


async def chat_completion(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """POST `payload` to `url` and return `choices[0].message`.

    Every failure becomes a 502/504 `TaskAppError`, never a silent zero reward.
    The URL is used exactly as given so `?cid=` and other parameters reach the model.
    """
    try:
        response = await client.post(url, json=payload)
    except httpx.InvalidURL as exc:  # not an HTTPError: it fails before anything is sent
        raise TaskAppError(
            422, "invalid_inference_url", "policy.config.inference_url is not a usable URL"
        ) from exc
    except httpx.TimeoutException as exc:
        raise TaskAppError(504, "inference_timeout", "the inference URL timed out") from exc
    except httpx.HTTPError as exc:
        raise TaskAppError(
            502,
            "inference_unreachable",
            f"could not reach the inference URL ({type(exc).__name__})",
        ) from exc
    if response.status_code >= 400:
        raise TaskAppError(
            502, "inference_error", f"the inference URL answered {response.status_code}"
        )
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise TaskAppError(
            502, "inference_bad_response", "the inference response has no choices[0].message"
        ) from exc
    if not isinstance(message, dict):
        raise TaskAppError(502, "inference_bad_response", "choices[0].message is not an object")
    return message
