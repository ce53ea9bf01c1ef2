"""synth-containers checks (CS): each fails against one of its faults with this exact block."""

from __future__ import annotations

import re

from conformance.outcomes import FailureDetail
from tests.checks._support import generation_failure

GENERATED_ID = ((re.compile(r"rollout_[0-9a-f]{8}"), "<generated>"),)


def test_cs_1_health_without_version() -> None:
    """CS-1 fails a /health without contract_version."""
    assert generation_failure("CS-1", "containers_health_without_version") == FailureDetail(
        summary="GET /health does not name the contract version",
        sent="GET /health without credentials",
        expected='200 {"status": "ok", "contract_version": "<date>"} (2026-05-28 in 0.4.x)',
        got='200, body=\'{"status": "ok"}\'',
        fix=(
            "Serve /health to every caller with status 'ok' and the contract version you "
            "implement, as synth_containers' servers do: it is how clients tell the contract."
        ),
        spec="docs/contract.md#containers-health",
    )


def test_cs_2_metadata_of_another_version() -> None:
    """CS-2 fails /metadata declaring another contract version than /health."""
    assert generation_failure("CS-2", "containers_metadata_of_another_version") == FailureDetail(
        summary=(
            "/metadata does not declare the contract (capabilities.contract_version is not "
            "/health's '2026-05-28')"
        ),
        sent="GET /metadata, GET /info and GET /health",
        expected=(
            "200 with capabilities.contract_version '2026-05-28', a capabilities.protocol "
            "(if any) starting 'synth.container.'; /info the same body"
        ),
        got=(
            "capabilities.contract_version is not /health's '2026-05-28': 200, "
            'body=\'{"runtime": {"runtime_id": "arith", "name": "Arithmetic", "description": '
            '"Adds numbers."}, "capabilities": {"contract_version": "2025-01-01", '
            '"rollout_modes": [...\''
        ),
        fix=(
            "Build /metadata with synth_containers.metadata.compose_metadata_payload (or the "
            "same fields), and serve the same body on /info."
        ),
        spec="docs/contract.md#containers-metadata",
    )


def test_cs_2_foreign_protocol() -> None:
    """CS-2 fails a protocol outside synth.container."""
    assert generation_failure("CS-2", "containers_foreign_protocol") == FailureDetail(
        summary=(
            "/metadata does not declare the contract (capabilities.protocol does not start "
            "with 'synth.container.')"
        ),
        sent="GET /metadata, GET /info and GET /health",
        expected=(
            "200 with capabilities.contract_version '2026-05-28', a capabilities.protocol "
            "(if any) starting 'synth.container.'; /info the same body"
        ),
        got=(
            "capabilities.protocol does not start with 'synth.container.': 200, "
            'body=\'{"runtime": {"runtime_id": "arith", "name": "Arithmetic", "description": '
            '"Adds numbers."}, "capabilities": {"contract_version": "2026-05-28", '
            '"rollout_modes": [...\''
        ),
        fix=(
            "Build /metadata with synth_containers.metadata.compose_metadata_payload (or the "
            "same fields), and serve the same body on /info."
        ),
        spec="docs/contract.md#containers-metadata",
    )


def test_cs_2_info_not_metadata() -> None:
    """CS-2 fails an /info that is not /metadata's body."""
    assert generation_failure("CS-2", "containers_info_not_metadata") == FailureDetail(
        summary=(
            "/metadata does not declare the contract (GET /info is not the same body as GET "
            "/metadata)"
        ),
        sent="GET /metadata, GET /info and GET /health",
        expected=(
            "200 with capabilities.contract_version '2026-05-28', a capabilities.protocol "
            "(if any) starting 'synth.container.'; /info the same body"
        ),
        got=(
            "GET /info is not the same body as GET /metadata: 200, "
            'body=\'{"runtime":{"runtime_id":"arith","name":"Arithmetic","description":"Adds '
            'numbers."},"capabilities":{"contract_version":"2026-05-28","rollout_mo'
            'des":["blocking",...\''
        ),
        fix=(
            "Build /metadata with synth_containers.metadata.compose_metadata_payload (or the "
            "same fields), and serve the same body on /info."
        ),
        spec="docs/contract.md#containers-metadata",
    )


def test_cs_3_sync_rollout_id_generated() -> None:
    """CS-3 fails a sync answer under another rollout_id."""
    assert generation_failure(
        "CS-3", "containers_sync_rollout_id_generated", also=GENERATED_ID
    ) == FailureDetail(
        summary=(
            "the sync rollout's answer is not its record (rollout_id '<generated>' is not "
            "the request's)"
        ),
        sent="POST /rollouts (sync, rollout_id '<run_id>')",
        expected=(
            "200 with {rollout_id: <the request's>, status: <a rollout state>, "
            "success_status, created_at, updated_at} (non-empty strings)"
        ),
        got=(
            "rollout_id '<generated>' is not the request's: 200, body='{\"rollout_id\": "
            '"<generated>", "status": "completed", "success_status": "success", '
            '"created_at": "2026-05-28T00:00:00+00:00", "updated_at": "2026-05-28T00:0...\''
        ),
        fix=(
            "Answer a sync submission with the finished rollout's record, keyed by the "
            "request's rollout_id, as synth_containers' CompletedRolloutPayload requires."
        ),
        spec="docs/contract.md#containers-rollout-record",
    )


def test_cs_3_status_done() -> None:
    """CS-3 fails a status outside the rollout states."""
    assert generation_failure("CS-3", "containers_status_done") == FailureDetail(
        summary=(
            "the sync rollout's answer is not its record (status 'done' is not a rollout state)"
        ),
        sent="POST /rollouts (sync, rollout_id '<run_id>')",
        expected=(
            "200 with {rollout_id: <the request's>, status: <a rollout state>, "
            "success_status, created_at, updated_at} (non-empty strings)"
        ),
        got=(
            'status \'done\' is not a rollout state: 200, body=\'{"rollout_id": "<run_id>", '
            '"status": "done", "success_status": "success", "created_at": '
            '"2026-05-28T00:00:00+00:00", "updated_at": "2026-05-28T0...\''
        ),
        fix=(
            "Answer a sync submission with the finished rollout's record, keyed by the "
            "request's rollout_id, as synth_containers' CompletedRolloutPayload requires."
        ),
        spec="docs/contract.md#containers-rollout-record",
    )


def test_cs_4_reward_in_summary_only() -> None:
    """CS-4 warns about a completed record whose reward is only in its summary."""
    assert generation_failure("CS-4", "containers_reward_in_summary_only") == FailureDetail(
        summary="the completed rollout's record carries no outcome_reward",
        sent="POST /rollouts (sync, rollout_id '<run_id>')",
        expected="reward_info.outcome_reward as a finite number in the completed record",
        got="reward_info = null",
        fix=(
            "Return the score as reward_info.outcome_reward (synth_containers' "
            "RolloutResult.to_dict does), not only in a free-form summary: optimizers read "
            "it there."
        ),
        spec="docs/contract.md#containers-reward",
    )


def test_cs_5_async_answers_running_while_queued() -> None:
    """CS-5 fails a state seen going backwards."""
    assert generation_failure(
        "CS-5", "containers_async_answers_running_while_queued"
    ) == FailureDetail(
        summary=(
            "the async rollout broke the lifecycle (running -> queued: no legal transitions "
            "lead there)"
        ),
        sent="POST /rollouts (async, rollout_id '<run_id>'), then GET /rollouts/{id} until it ends",
        expected=(
            "200 or 202 with status queued or running, then only the transitions of "
            "synth_containers/wire.py up to completed, failed or cancelled"
        ),
        got=(
            "running -> queued: no legal transitions lead there; states seen: running -> "
            'queued; first answer 200, body=\'{"rollout_id": "<run_id>", "status": '
            '"running", "success_status": "running", "created_at": '
            '"2026-05-28T00:00:00+00:00", "updated_at": "2026-05-2...\''
        ),
        fix=(
            "Record an async rollout as queued or running at once, then move it only along "
            "queued -> running -> completed|failed|cancelled (paused in between), and finish."
        ),
        spec="docs/contract.md#containers-lifecycle",
    )


def test_cs_5_async_never_ends() -> None:
    """CS-5 fails an async rollout that never ends within the bound (--timeout)."""
    assert generation_failure("CS-5", "containers_async_never_ends") == FailureDetail(
        summary="the async rollout broke the lifecycle (no terminal state within 1s)",
        sent="POST /rollouts (async, rollout_id '<run_id>'), then GET /rollouts/{id} until it ends",
        expected=(
            "200 or 202 with status queued or running, then only the transitions of "
            "synth_containers/wire.py up to completed, failed or cancelled"
        ),
        got=(
            "no terminal state within 1s; states seen: queued -> running -> running -> "
            "running -> running -> running; first answer 200, "
            'body=\'{"rollout_id":"<run_id>","status":"queued","success_status":"pen'
            'ding","created_at":"2026-05-28T00:00:00+00:00","updated_at":"2026-05-2'
            "8T00:00:00...'"
        ),
        fix=(
            "Record an async rollout as queued or running at once, then move it only along "
            "queued -> running -> completed|failed|cancelled (paused in between), and finish."
        ),
        spec="docs/contract.md#containers-lifecycle",
    )


def test_cs_5_status_done() -> None:
    """CS-5 fails a polled record whose status is not a rollout state."""
    assert generation_failure("CS-5", "containers_status_done") == FailureDetail(
        summary=(
            "the async rollout broke the lifecycle (GET /rollouts/<run_id>: status 'done' is "
            "not a rollout state)"
        ),
        sent="POST /rollouts (async, rollout_id '<run_id>'), then GET /rollouts/{id} until it ends",
        expected=(
            "200 or 202 with status queued or running, then only the transitions of "
            "synth_containers/wire.py up to completed, failed or cancelled"
        ),
        got=(
            "GET /rollouts/<run_id>: status 'done' is not a rollout state; states seen: "
            'queued; first answer 200, body=\'{"rollout_id": "<run_id>", "status": "queued", '
            '"success_status": "pending", "created_at": "2026-05-28T00:00:00+00:00", '
            '"updated_at": "2026-05-28...\''
        ),
        fix=(
            "Record an async rollout as queued or running at once, then move it only along "
            "queued -> running -> completed|failed|cancelled (paused in between), and finish."
        ),
        spec="docs/contract.md#containers-lifecycle",
    )


def test_cs_6_terminate_cancels_completed() -> None:
    """CS-6 warns when terminate moves a completed rollout."""
    assert generation_failure("CS-6", "containers_terminate_cancels_completed") == FailureDetail(
        summary="terminate moved it to 'cancelled': wire.py allows no transition out of completed",
        sent=(
            "POST /rollouts/<run_id>/terminate (the rollout is completed), then GET "
            "/rollouts/<run_id>/state"
        ),
        expected="the completed record back (or a 4xx such as 409), and completed afterwards",
        got=(
            "terminate moved it to 'cancelled': wire.py allows no transition out of "
            "completed; terminate answered 200, "
            'body=\'{"rollout_id":"<run_id>","status":"cancelled","success_status":"'
            'cancelled","created_at":"2026-05-28T00:00:00+00:00","updated_at":"2026'
            "-05-28T00:...'"
        ),
        fix=(
            "Treat terminate on a finished rollout as a no-op (answer its record, or 409) "
            "and keep /state and the answer the same story."
        ),
        spec="docs/contract.md#containers-terminate",
    )


def test_cs_6_terminate_answer_disagrees() -> None:
    """CS-6 warns when the terminate answer and the state afterwards disagree."""
    assert generation_failure("CS-6", "containers_terminate_answer_disagrees") == FailureDetail(
        summary=(
            "the terminate answer says 'cancelled' but GET /rollouts/<run_id>/state says "
            "'completed' afterwards"
        ),
        sent=(
            "POST /rollouts/<run_id>/terminate (the rollout is completed), then GET "
            "/rollouts/<run_id>/state"
        ),
        expected="the completed record back (or a 4xx such as 409), and completed afterwards",
        got=(
            "the terminate answer says 'cancelled' but GET /rollouts/<run_id>/state says "
            "'completed' afterwards; terminate answered 200, body='{\"rollout_id\": "
            '"<run_id>", "status": "cancelled", "success_status": "success", "created_at": '
            '"2026-05-28T00:00:00+00:00", "updated_at": "2026-05...\''
        ),
        fix=(
            "Treat terminate on a finished rollout as a no-op (answer its record, or 409) "
            "and keep /state and the answer the same story."
        ),
        spec="docs/contract.md#containers-terminate",
    )


def test_cs_7_rollout_id_runs_again() -> None:
    """CS-7 warns when a reused rollout_id runs again."""
    assert generation_failure("CS-7", "containers_rollout_id_runs_again") == FailureDetail(
        summary="a reused rollout_id is not handled as an idempotency key",
        sent=(
            "POST /rollouts (sync, rollout_id '<run_id>') three times: the same body twice, "
            "then seed 2"
        ),
        expected=(
            'the first record again with replayed: true, then 409 {"detail": {"error": '
            '"rollout_identity_conflict", ...}}'
        ),
        got=(
            "the same body again answered 200, "
            'body=\'{"rollout_id":"<run_id>","status":"completed","success_status":"'
            'success","created_at":"2026-05-28T00:00:00+00:00","updated_at":"2026-0'
            "5-28T00:00...', not the first record with replayed: true"
        ),
        fix=(
            "Keep each rollout_id's request and answer: replay the answer for the same body, "
            "refuse another body with 409, so a retried submission never runs twice."
        ),
        spec="docs/contract.md#containers-replay",
    )


def test_cs_7_other_body_replayed() -> None:
    """CS-7 warns when another body under a used rollout_id is replayed, not refused."""
    assert generation_failure("CS-7", "containers_other_body_replayed") == FailureDetail(
        summary="a reused rollout_id is not handled as an idempotency key",
        sent=(
            "POST /rollouts (sync, rollout_id '<run_id>') three times: the same body twice, "
            "then seed 2"
        ),
        expected=(
            'the first record again with replayed: true, then 409 {"detail": {"error": '
            '"rollout_identity_conflict", ...}}'
        ),
        got=(
            "another body under the same id answered 200, "
            'body=\'{"rollout_id":"<run_id>","status":"completed","success_status":"'
            'success","created_at":"2026-05-28T00:00:00+00:00","updated_at":"2026-0'
            "5-28T00:00...'"
        ),
        fix=(
            "Keep each rollout_id's request and answer: replay the answer for the same body, "
            "refuse another body with 409, so a retried submission never runs twice."
        ),
        spec="docs/contract.md#containers-replay",
    )


def test_cs_8_rows_one_short() -> None:
    """CS-8 fails rows one short of the seeds asked."""
    assert generation_failure("CS-8", "containers_rows_one_short") == FailureDetail(
        summary="/dataset/rows does not answer one row per seed, in order",
        sent='POST /dataset/rows {"seeds": [2, 0, 1], "split": "train"}',
        expected=(
            '200 {"rows": [...]} with 3 row objects, one per seed in the order asked (a '
            "row's seed, when it has one, is that seed)"
        ),
        got=(
            '200, body=\'{"rows": [{"seed": 2, "split": "train", "question": "2 + 2"}, '
            '{"seed": 0, "split": "train", "question": "0 + 0"}]}\''
        ),
        fix=(
            "Answer /dataset/rows with one row per requested seed, in request order: the "
            "optimizer pairs rows with seeds by position and sends each back as dataset_row."
        ),
        spec="docs/contract.md#containers-dataset-rows",
    )


def test_cs_8_rows_sorted() -> None:
    """CS-8 fails rows not in the order asked."""
    assert generation_failure("CS-8", "containers_rows_sorted") == FailureDetail(
        summary="/dataset/rows does not answer one row per seed, in order",
        sent='POST /dataset/rows {"seeds": [2, 0, 1], "split": "train"}',
        expected=(
            '200 {"rows": [...]} with 3 row objects, one per seed in the order asked (a '
            "row's seed, when it has one, is that seed)"
        ),
        got=(
            '200, body=\'{"rows": [{"seed": 0, "split": "train", "question": "0 + 0"}, '
            '{"seed": 1, "split": "train", "question": "1 + 1"}, {"seed": 2, "split": '
            '"train", "question": "2 +...\''
        ),
        fix=(
            "Answer /dataset/rows with one row per requested seed, in request order: the "
            "optimizer pairs rows with seeds by position and sends each back as dataset_row."
        ),
        spec="docs/contract.md#containers-dataset-rows",
    )


def test_cs_9_hints_unserved_program() -> None:
    """CS-9 warns about a route hint the app does not serve."""
    assert generation_failure("CS-9", "containers_hints_unserved_program") == FailureDetail(
        summary="/metadata hints /program, which is not served",
        sent="GET /program (hinted by GET /metadata)",
        expected="an answer other than 404 or 405: a hinted route is served",
        got='404, body=\'{"detail":"Not Found"}\'',
        fix=(
            "Hint only the routes you serve: drop the others from route_hints and "
            "optimizer_contracts, or serve them."
        ),
        spec="docs/contract.md#containers-route-hints",
    )


def test_cs_9_gepa_contract_unserved() -> None:
    """CS-9 warns about an optimizer-contract route the app does not serve."""
    assert generation_failure("CS-9", "containers_gepa_contract_unserved") == FailureDetail(
        summary="/metadata hints /program, which is not served",
        sent="GET /program (hinted by GET /metadata)",
        expected="an answer other than 404 or 405: a hinted route is served",
        got='404, body=\'{"detail":"Not Found"}\'',
        fix=(
            "Hint only the routes you serve: drop the others from route_hints and "
            "optimizer_contracts, or serve them."
        ),
        spec="docs/contract.md#containers-route-hints",
    )


def test_cs_10_single_report_differs() -> None:
    """CS-10 fails a ?target= report that differs from the map's."""
    assert generation_failure("CS-10", "containers_single_report_differs") == FailureDetail(
        summary=(
            '/compatibility misreports (?target=go_ex answers {"target": "go_ex", '
            '"supported": true, "missing_features": ["missing profile: '
            'checkpointable_long_horizon_environment", "missing protocol: checkpointable", '
            "\"mis..., not the map's entry)"
        ),
        sent="GET /compatibility, with ?target= for each target and an unknown one; GET /metadata",
        expected=(
            "each ?target= report equal to the map's; an unknown target a 4xx; every "
            "supported: true borne out by /metadata's capabilities"
        ),
        got=(
            '?target=go_ex answers {"target": "go_ex", "supported": true, '
            '"missing_features": ["missing profile: '
            'checkpointable_long_horizon_environment", "missing protocol: checkpointable", '
            "\"mis..., not the map's entry"
        ),
        fix=(
            "Compute reports from the capabilities /metadata declares "
            "(synth_containers.compatibility.evaluate_consumer_support) rather than writing "
            "them by hand."
        ),
        spec="docs/contract.md#containers-compatibility",
    )


def test_cs_10_unknown_target_answered() -> None:
    """CS-10 fails an unknown target answered 200."""
    assert generation_failure("CS-10", "containers_unknown_target_answered") == FailureDetail(
        summary=(
            "/compatibility misreports (?target=conformance_no_such_consumer answered 200, "
            "body='{}', not a 4xx)"
        ),
        sent="GET /compatibility, with ?target= for each target and an unknown one; GET /metadata",
        expected=(
            "each ?target= report equal to the map's; an unknown target a 4xx; every "
            "supported: true borne out by /metadata's capabilities"
        ),
        got="?target=conformance_no_such_consumer answered 200, body='{}', not a 4xx",
        fix=(
            "Compute reports from the capabilities /metadata declares "
            "(synth_containers.compatibility.evaluate_consumer_support) rather than writing "
            "them by hand."
        ),
        spec="docs/contract.md#containers-compatibility",
    )


def test_cs_10_unmet_target_claimed() -> None:
    """CS-10 fails a supported: true that /metadata does not bear out."""
    assert generation_failure("CS-10", "containers_unmet_target_claimed") == FailureDetail(
        summary=(
            "/compatibility misreports (standard_evals is reported supported, but /metadata "
            "shows missing profile: harness_managed_benchmark_environment; missing protocol: "
            "catalog_backed; missing protocol: verifier_backed; missing feature: "
            "verifier_support)"
        ),
        sent="GET /compatibility, with ?target= for each target and an unknown one; GET /metadata",
        expected=(
            "each ?target= report equal to the map's; an unknown target a 4xx; every "
            "supported: true borne out by /metadata's capabilities"
        ),
        got=(
            "standard_evals is reported supported, but /metadata shows missing profile: "
            "harness_managed_benchmark_environment; missing protocol: catalog_backed; "
            "missing protocol: verifier_backed; missing feature: verifier_support"
        ),
        fix=(
            "Compute reports from the capabilities /metadata declares "
            "(synth_containers.compatibility.evaluate_consumer_support) rather than writing "
            "them by hand."
        ),
        spec="docs/contract.md#containers-compatibility",
    )
