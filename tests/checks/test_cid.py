"""Correlation checks (CID): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


def test_cid_1_cid_not_first() -> None:
    """CID-1 fails a pipeline inference URL whose first parameter is not the cid."""
    assert failure("CID-1", "pipeline_cid_not_first") == FailureDetail(
        summary=(
            "`pipeline_metadata.inference_url` contains `?cid=<issued cid>` (the RL validator's "
            "test)."
        ),
        sent="POST /rollout with a ?cid= inference URL",
        expected="pipeline_metadata.inference_url with '?cid=' as its first parameter",
        got=(
            "pipeline_metadata.inference_url = "
            "'http://127.0.0.1:<port>/r/<route>/v1/chat/completions?app=arithmetic&cid=<cid>'"
        ),
        fix="Return the inference URL with cid as the first query parameter (§4.1).",
        spec="docs/contract.md#cid-pipeline-url",
    )


def test_cid_2_last_step_drops_cid() -> None:
    """CID-2 names the step whose meta URL lacks the cid."""
    assert failure("CID-2", "last_step_drops_cid") == FailureDetail(
        summary=("trajectories[0].steps[1].info.meta.inference_url does not carry the issued cid"),
        sent="POST /rollout with cid '<cid>' in policy.config.inference_url",
        expected="trajectories[0].steps[1].info.meta.inference_url carrying exactly that cid",
        got="trajectories[0].steps[1].info.meta.inference_url carries None",
        fix=(
            "Extract the cid from policy.config (or ?cid=) once and write it into every URL you "
            "return."
        ),
        spec="docs/contract.md#cid-trajectory-urls",
    )


def test_cid_3_no_top_level_cid() -> None:
    """CID-3 fails a response without the top-level trace_correlation_id."""
    assert failure("CID-3", "no_top_level_trace_correlation_id") == FailureDetail(
        summary="trace_correlation_id does not carry the issued cid",
        sent="POST /rollout with cid '<cid>' in policy.config.inference_url",
        expected="trace_correlation_id carrying exactly that cid",
        got="trace_correlation_id carries None",
        fix=(
            "Extract the cid from policy.config (or ?cid=) once and write it into every URL you "
            "return."
        ),
        spec="docs/contract.md#cid-echo",
    )


def test_cid_4_stale_cid_at_the_model() -> None:
    """CID-4 names the wrong cid the model received."""
    assert failure("CID-4", "stale_cid_sent_to_model") == FailureDetail(
        summary=(
            "The model received at least one call with the issued cid, and none with another cid."
        ),
        sent="POST /rollout with cid '<cid>'",
        expected="every inference call carrying exactly that cid",
        got="calls carried cid 'stale'",
        fix=(
            "Call the inference URL exactly as given, query string included; never cache one per "
            "process."
        ),
        spec="docs/contract.md#cid-model-calls",
    )


def test_cid_5_cid_in_a_global() -> None:
    """CID-5 fails a response that echoes another parallel rollout's cid."""
    assert failure("CID-5", "cid_in_a_global") == FailureDetail(
        summary=(
            "K rollouts in parallel (default 8) never echo or send another rollout's cid (no "
            "cross-talk)."
        ),
        sent="8 rollouts in parallel, each with its own cid; this one '<cid>'",
        expected="every location and every inference call carrying only its own cid",
        got="trace_correlation_id carries '<cid>', the cid of another rollout in flight",
        fix="Keep the cid in per-request state, never in a global or a shared client.",
        spec="docs/contract.md#cid-concurrency",
    )


def test_cid_5_model_called_with_a_global_cid() -> None:
    """CID-5 fails a model call that carries another parallel rollout's cid."""
    assert failure("CID-5", "model_called_with_a_global_cid") == FailureDetail(
        summary=(
            "K rollouts in parallel (default 8) never echo or send another rollout's cid (no "
            "cross-talk)."
        ),
        sent="8 rollouts in parallel, each with its own cid; this one '<cid>'",
        expected="every location and every inference call carrying only its own cid",
        got="an inference call carries '<cid>', the cid of another rollout in flight",
        fix="Keep the cid in per-request state, never in a global or a shared client.",
        spec="docs/contract.md#cid-concurrency",
    )


def test_cid_5_one_rollout_at_a_time() -> None:
    """CID-5 fails an app that refuses parallel rollouts."""
    assert failure("CID-5", "one_rollout_at_a_time") == FailureDetail(
        summary=(
            "K rollouts in parallel (default 8) never echo or send another rollout's cid (no "
            "cross-talk)."
        ),
        sent="8 valid rollouts in parallel",
        expected="200 for every one of them",
        got='503, body=\'{"detail": {"error": {"code": "busy", "message": "busy"}}}\'',
        fix="Serve concurrent rollouts; keep per-rollout state per request.",
        spec="docs/contract.md#cid-concurrency",
    )


def test_cid_6_other_query_params_dropped() -> None:
    """CID-6 fails an inference URL that lost its other query parameters."""
    assert failure("CID-6", "other_query_params_dropped") == FailureDetail(
        summary=(
            "Other query parameters of the inference URL survive, in the response and at the model."
        ),
        sent="POST /rollout with inference URL ...?cid=...&team=conformance&v=2",
        expected="pipeline_metadata.inference_url keeping team=conformance&v=2",
        got=(
            "pipeline_metadata.inference_url: "
            "'http://127.0.0.1:<port>/r/<route>/v1/chat/completions?cid=<cid>'"
        ),
        fix="Keep the query string verbatim; do not rebuild the URL from parts (D26).",
        spec="docs/contract.md#cid-query-params",
    )
