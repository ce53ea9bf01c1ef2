"""Our suite judges an app built with synth-ai's own framework: its real defects, nothing else."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract.profiles import LEGACY
from conformance.registry import catalogue
from conformance.serving import ServerThread
from tests.interop.synth import require_synth_ai

require_synth_ai()

from synth_ai.task.validators import validate_rollout_response_for_rl  # noqa: E402

from tests.interop.synth_app import ENV_NAME, create_app  # noqa: E402

# The verdict per check, with the defect it comes from (spec §10.2). Everything the app
# author controls is done right in tests/interop/synth_app.py, so each non-pass is the
# framework's (synth-ai 0.2.19 `create_task_app`). A pass below names what in the
# framework makes it one, where the framework could have got in the way.
EXPECTED: dict[str, str] = {
    # The rules of the later generations (localapi, container, containers-2026-05): this run
    # judges legacy-0.2, so they are not applicable (from the registry, not listed by hand).
    **{spec.id: "skip:not_applicable" for spec in catalogue() if not spec.applies_to(LEGACY)},
    **dict.fromkeys(("EP-1", "EP-2", "EP-3"), "pass"),
    "EP-4": "fail",  # D2: /info dataset, inference, limits are "<circular type=dict>"
    **dict.fromkeys(("TI-1", "TI-2", "TI-3", "TI-4", "TI-5", "TI-6", "TI-7"), "pass"),
    **dict.fromkeys(("AUTH-1", "AUTH-2", "AUTH-3", "AUTH-4", "AUTH-5"), "pass"),
    "AUTH-6": "pass",
    "AUTH-7": "pass",
    "AUTH-8": "warn",  # D1: a missing or wrong key gets 400
    "AUTH-9": "pass",  # the 400 body is the envelope (its extra keys are SEC-1's business)
    "AUTH-10": "pass",  # task/auth.py splits X-API-Key on commas too (_split_csv)
    # Not applicable to a URL target (it cannot be rebuilt without a key); judged in-process
    # by test_keyless_synth_app_answers_503 below, where it passes.
    "AUTH-11": "skip:not_applicable",
    "SEC-1": "fail",  # D1: the 400 body carries allowed_first15, the key's first 15 characters
    "SEC-2": "warn",  # D23: /health auth.expected_prefix is the key's first 6 characters
    "SEC-3": "warn",  # D23: /debug/env is on by default
    "SEC-4": "warn",  # TaskAppConfig.clone() turns cors_origins=None into (): CORS is always on
    "SEC-5": "warn",  # D23: /docs and /openapi.json are public (info severity)
    "SEC-6": "pass",  # the framework never touches the executor's model calls
    "SEC-7": "pass",  # an executor's crash is Starlette's plain "Internal Server Error"
    **dict.fromkeys(("RO-1", "RO-2", "RO-3", "RO-4", "RO-5", "RO-6", "RO-7", "RO-8"), "pass"),
    "RO-9": "warn",  # §1.2: FastAPI's bare 422 list, not the error envelope
    "RO-10": "pass",
    "RO-11": "pass",
    "RO-12": "pass",  # FastAPI parses the body as RolloutRequest first: 422 for a non-object
    # The executor sets num_episodes (the model's default is 0) and a [0, 1] outcome_score.
    "RO-13": "pass",
    "RO-14": "pass",
    **dict.fromkeys(("CID-1", "CID-2", "CID-3", "CID-4", "CID-5", "CID-6"), "pass"),
    "CID-7": "pass",  # /rollout's re-validation keeps pipeline_metadata as the executor wrote it
    "CID-8": "pass",  # extract_trace_correlation_id falls back to the URL's ?cid=
    "CID-9": "pass",  # ... and returns None, not an error, in eval mode with no cid
    # Replay, the instance played and the declared reward range are the executor's; RWD-1
    # finds limits.reward_range in /task_info?seed=0, since /info's limits is a string (D2).
    **dict.fromkeys(("DET-1", "DET-2", "DET-3", "RWD-1"), "pass"),
    "DET-4": "skip:not_applicable",  # the app does not declare itself nondeterministic
    "LOAD-1": "pass",  # an async executor is awaited on the event loop: rollouts overlap
    # A model failure is the executor's to handle (it does, within safety.max_time_s). The
    # framework neither enforces max_time_s nor maps an executor's exception to an error
    # envelope (a bare 500), so an executor that does not handle them warns here.
    **dict.fromkeys(("MF-1", "MF-2", "MF-3", "MF-4", "MF-5", "MF-6", "MF-7", "MF-8"), "pass"),
    "PROP-1": "pass",
    "PROP-2": "pass",
    # Lax pydantic parsing (True for an int seed, no seed range) and the bare 422 list:
    # disputed as a MUST failure, see the README's compatibility section.
    "PROP-3": "warn",
    "PROP-4": "pass",  # lax, but it never crashes on bad input
    "FUZZ-1": "fail",  # D2 again: GET /info's 200 does not match the schema (strings, not objects)
}


@pytest.fixture(scope="module")
def synth_server(interop_key: str) -> Iterator[ServerThread]:
    """The synth-ai framework app on uvicorn at 127.0.0.1 (it reads the key from os.environ)."""
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def report(synth_server: ServerThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`taskapp-conformance check URL --json out.json` against the synth-ai app."""
    out = tmp_path_factory.mktemp("report") / "report.json"
    result = CliRunner().invoke(main, ["check", synth_server.url, "--json", str(out), "--quiet"])
    assert result.exit_code == 1, result.output  # it does not conform: must-level defects
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    """Each check's outcome; a skip names its kind (`skip:not_applicable`)."""
    return {
        check["id"]: check["outcome"]
        + (f":{check['skip_kind']}" if check["outcome"] == "skip" else "")
        for check in report["checks"]
    }


DETECTED = (
    "detected: GET /health wants an API key (the ENVIRONMENT_API_KEY generations); "
    "GET /openapi.json says the rollout request requires env, mode, ops, policy, run_id"
)


def test_detected_as_legacy_by_its_request_model(report: dict[str, Any]) -> None:
    """Auto-detection judges synth-ai 0.2.19's own app as legacy-0.2, from its request model."""
    assert report["profile"] == {"name": LEGACY, "evidence": [DETECTED], "warning": None}


def test_expected_verdicts_cover_the_catalogue() -> None:
    """Every check in the catalogue has a recorded verdict for the synth-ai app."""
    assert set(EXPECTED) == {spec.id for spec in catalogue()}


def test_report_flags_exactly_the_framework_defects(report: dict[str, Any]) -> None:
    """Each check's outcome on the synth-ai app is the recorded one."""
    assert _outcomes(report) == EXPECTED


def _readme_section() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("**What our suite flags in apps built with synth-ai's framework.**")
    return readme[start : readme.index("\n## ", start)]


def test_readme_table_lists_every_flag() -> None:
    """The README's table of what we flag in the synth-ai app has a row per FAIL and WARN."""
    rows = re.findall(r"^\| `([A-Z]+-\d+)` \| (FAIL|WARN)\b", _readme_section(), re.MULTILINE)
    flagged = {check_id: v.upper() for check_id, v in EXPECTED.items() if v in ("fail", "warn")}
    assert dict(rows) == flagged


def test_readme_counts_match() -> None:
    """The README's totals for the synth-ai app are those of the recorded verdicts."""
    counts = Counter(outcome.split(":")[0] for outcome in EXPECTED.values())
    wanted = f"{counts['fail']} failed, {counts['warn']} warned, {counts['pass']} passed"
    assert wanted in " ".join(_readme_section().split())


def test_report_never_contains_the_whole_key(report: dict[str, Any], interop_key: str) -> None:
    """The report of the leaking app never contains the key itself."""
    assert interop_key not in json.dumps(report)


def test_report_never_contains_a_piece_of_the_key(report: dict[str, Any], interop_key: str) -> None:
    """The app echoes 15-character key prefixes; our report must not repeat any 6+ piece."""
    text = json.dumps(report)
    pieces = {interop_key[i : i + 6] for i in range(len(interop_key) - 5)}
    assert not [piece for piece in pieces if piece in text]


@pytest.mark.parametrize(
    ("check_id", "evidence"),
    [
        ("EP-4", "<circular"),
        ("AUTH-8", "400"),
        ("SEC-3", "/debug/env"),
        ("SEC-4", "Access-Control-Allow-Credentials: true"),
        ("FUZZ-1", "GET /info"),
    ],
)
def test_failure_blocks_name_the_evidence(
    report: dict[str, Any], check_id: str, evidence: str
) -> None:
    """The failure block of each flagged defect quotes what the framework sent back."""
    (entry,) = [c for c in report["checks"] if c["id"] == check_id]
    assert evidence in json.dumps(entry)


def test_keyless_synth_app_answers_503(
    interop_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Built in-process with no key configured, the framework's app answers 503 (AUTH-11)."""
    out = tmp_path_factory.mktemp("keyless") / "report.json"
    factory = "tests.interop.synth_app:create_app"
    args = ["check", "--app", factory, "--select", "AUTH-11", "--json", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert _outcomes(json.loads(out.read_text(encoding="utf-8"))) == {"AUTH-11": "pass"}


def test_synth_app_passes_synth_rl_validator(
    synth_server: ServerThread, interop_key: str, mock_inference: Any
) -> None:
    """Sanity: synth-ai's own validator accepts the app's rollouts (the app does its part)."""
    body = {
        "run_id": "sanity",
        "env": {"env_name": ENV_NAME, "seed": 1},
        "policy": {"config": {"inference_url": f"{mock_inference.url}?cid=trace_sanity"}},
        "ops": ["agent", "env"],
        "mode": "rl",
    }
    response = httpx.post(
        f"{synth_server.url}/rollout", json=body, headers={"X-API-Key": interop_key}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert validate_rollout_response_for_rl(response.json()) == []


def test_circular_info_is_real(synth_server: ServerThread, interop_key: str) -> None:
    """The EP-4 verdict is not a harness artefact: /info really carries the strings (D2)."""
    info = httpx.get(f"{synth_server.url}/info", headers={"X-API-Key": interop_key}).json()
    assert str(info["inference"]).startswith("<circular")
