"""The pytest plugin: items per check, options and fallbacks, rendering, xdist, misconfiguration."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.contract.profiles import LEGACY
from conformance.options import KNOBS
from conformance.registry import catalogue, select_checks
from tests.faults import FAULTS, KEY

ROOT = str(Path(__file__).resolve().parents[2])
APP = "tests.faults.apps:reference"
_APP_WITH_KEY = ("--taskapp-app", APP, "--taskapp-api-key", KEY)


@pytest.fixture
def pytester_env(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs can import the tests package and see no stray taskapp settings."""
    monkeypatch.setenv("PYTHONPATH", ROOT)
    monkeypatch.syspath_prepend(ROOT)
    for name in [knob.env for knob in KNOBS]:
        monkeypatch.delenv(name, raising=False)
    return pytester


def _outcomes(result: pytest.RunResult) -> dict[str, int]:
    return {k: v for k, v in result.parseoutcomes().items() if v}


def test_collects_one_item_per_check_with_the_id(pytester_env: pytest.Pytester) -> None:
    """Every check becomes one item whose id holds the check ID."""
    result = pytester_env.runpytest(
        "--taskapp-app", APP, "--taskapp-api-key", KEY, "--collect-only", "-q"
    )
    ids = [line for line in result.outlines if line.startswith("taskapp-conformance::")]
    assert ids == [f"taskapp-conformance::{c.id}_{c.name}" for c in catalogue()]


def test_reference_app_passes_every_item(pytester_env: pytest.Pytester) -> None:
    """Against the reference app every item passes."""
    result = pytester_env.runpytest("--taskapp-app", APP, "--taskapp-api-key", KEY)
    # Skipped: FUZZ-1 (opt-in here), DET-4 (nothing declared) and the other generations' checks.
    legacy = [c.id for c in catalogue() if c.applies_to(LEGACY)]
    passed = len(legacy) - 2
    assert _outcomes(result) == {"passed": passed, "skipped": len(catalogue()) - passed}


def test_broken_variant_fails_exactly_its_items_with_the_block(
    pytester_env: pytest.Pytester,
) -> None:
    """The cid-dropping variant fails CID-2 only, printed as the failure block without a
    traceback.
    """
    result = pytester_env.runpytest(
        "--taskapp-app", "tests.faults.apps:last_step_drops_cid", "--taskapp-api-key", KEY, "-rfs"
    )
    outcomes = _outcomes(result)
    assert outcomes.pop("failed") == 1
    assert _green(outcomes) == len(catalogue()) - 1
    out = result.stdout.str()
    block = out[out.index("CID-2 every_step_meta_url_carries_cid: ") :].splitlines()
    assert block[0].endswith(
        "trajectories[0].steps[1].info.meta.inference_url does not carry the issued cid"
    )
    assert [line[:12] for line in block[1:6]] == [
        "  Sent:     ",
        "  Expected: ",
        "  Got:      ",
        "  Fix:      ",
        "  Spec:     ",
    ]
    assert (
        "depends on CID-2 (Every step's `info.meta.inference_url` carries the issued cid.),"
        " which ended FAIL" in out
    )
    assert "def runtest" not in out
    assert "Traceback" not in out
    assert KEY not in out


def _selected(select: list[str], ignore: list[str] = []) -> int:  # noqa: B006 (never mutated)
    return len(select_checks(catalogue(), select, ignore))


def _green(outcomes: dict[str, int]) -> int:
    """How many items ended without failing (passed, or skipped as not applicable)."""
    assert "failed" not in outcomes, outcomes
    return outcomes.get("passed", 0) + outcomes.get("skipped", 0)


def test_warn_is_xfail_and_strict_makes_it_fail(pytester_env: pytest.Pytester) -> None:
    """A should-level violation is XFAIL with its block, and FAILED with --taskapp-strict."""
    args = [
        "--taskapp-app",
        "tests.faults.apps:rejects_with_400",
        "--taskapp-api-key",
        KEY,
        "--taskapp-select",
        "AUTH",
        "-rx",
    ]
    default = pytester_env.runpytest(*args)
    outcomes = _outcomes(default)
    assert outcomes.pop("xfailed") == 1
    assert _green(outcomes) == _selected(["AUTH"]) - 1
    default.stdout.fnmatch_lines(["*XFAIL*AUTH-8_rejection_status_is_401_or_403*"])
    strict = _outcomes(pytester_env.runpytest(*args, "--taskapp-strict"))
    assert strict.pop("failed") == 1
    assert _green(strict) == _selected(["AUTH"]) - 1


@pytest.mark.parametrize(
    ("select", "ignore"),
    [(["AUTH", "EP-1"], []), (["cid"], ["CID-5"])],
    ids=["select", "select-and-ignore"],
)
def test_selection(pytester_env: pytest.Pytester, select: list[str], ignore: list[str]) -> None:
    """--taskapp-select and --taskapp-ignore pick items by ID, area and tag."""
    args = ["--taskapp-select", ",".join(select)]
    if ignore:
        args += ["--taskapp-ignore", ",".join(ignore)]
    result = pytester_env.runpytest(*_APP_WITH_KEY, *args)
    assert _green(_outcomes(result)) == _selected(select, ignore)


def test_k_and_m_select_items(pytester_env: pytest.Pytester) -> None:
    """-k matches check IDs and -m matches severity/area markers."""
    base = ["--taskapp-app", APP, "--taskapp-api-key", KEY]
    picked = _outcomes(pytester_env.runpytest(*base, "-k", "AUTH-1_ or AUTH-2_"))
    assert picked == {"passed": 2, "deselected": len(catalogue()) - 2}
    security = _outcomes(pytester_env.runpytest(*base, "-m", "taskapp_sec"))
    assert _green(security) == _selected(["SEC"])


def test_config_table_and_env_fallbacks(
    pytester_env: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Options fall back to the environment, then to [tool.taskapp-conformance]; the command
    line wins.
    """
    pytester_env.makepyprojecttoml(
        f'[tool.taskapp-conformance]\napp = "{APP}"\nselect = "EP"\nstrict = true\n'
    )
    monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
    assert _outcomes(pytester_env.runpytest()) == {"passed": 4}
    monkeypatch.setenv("TASKAPP_SELECT", "AUTH-1")
    assert _outcomes(pytester_env.runpytest()) == {"passed": 1}
    assert _outcomes(pytester_env.runpytest("--taskapp-select", "TI-1,TI-2")) == {"passed": 2}


def test_inference_url_leaves_recorder_checks_unproven(pytester_env: pytest.Pytester) -> None:
    """With --taskapp-inference-url nothing records the model's calls: CID-4 fails its item as
    unproven, unless the user accepts it by name, which skips it saying so.
    """
    from conformance.inference import MockInferenceServer

    args = [*_APP_WITH_KEY, "--taskapp-select", "CID-4", "-rs"]
    with MockInferenceServer() as mock:
        unproven = pytester_env.runpytest(*args, "--taskapp-inference-url", mock.url)
        accepted = pytester_env.runpytest(
            *args, "--taskapp-inference-url", mock.url, "--taskapp-accept-unproven", "CID-4"
        )
    assert _outcomes(unproven) == {"failed": 1}
    unproven.stdout.fnmatch_lines(
        ["*CID-4 inference_calls_carry_issued_cid: unproven, so the run is incomplete: *"]
    )
    assert _outcomes(accepted) == {"skipped": 1}
    accepted.stdout.fnmatch_lines(["*accepted unproven: *"])


def _item_outcomes(
    pytester: pytest.Pytester, *args: str, subprocess: bool = False
) -> dict[str, str]:
    """Check ID -> passed/failed/skipped for one run, read from its JUnit XML."""
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    run(*args, "--junitxml", "items.xml")
    outcomes = {}
    for case in ET.parse(pytester.path / "items.xml").getroot().iter("testcase"):
        check = case.attrib["name"].split("_", 1)[0]
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[check] = kinds.pop() if kinds else "passed"
    return outcomes


@pytest.mark.parametrize(
    "name", ["last_step_drops_cid", "rejects_with_400", "rollout_metadata_echoes_the_key"]
)
def test_broken_variants_fail_exactly_their_items(pytester_env: pytest.Pytester, name: str) -> None:
    """With --taskapp-strict, a fault fails exactly the items of the checks it breaks."""
    fault = next(f for f in FAULTS if f.name == name)
    app = f"tests.faults.apps:{name}"
    outcomes = _item_outcomes(
        pytester_env, "--taskapp-app", app, "--taskapp-api-key", KEY, "--taskapp-strict"
    )
    assert len(outcomes) == len(catalogue())
    assert {check for check, outcome in outcomes.items() if outcome == "failure"} == fault.breaks


def test_xdist_gives_the_same_outcomes(pytester_env: pytest.Pytester) -> None:
    """-n 2 gives every item the outcome it has in a single process."""
    args = ["--taskapp-app", "tests.faults.apps:last_step_drops_cid", "--taskapp-api-key", KEY]
    single = _item_outcomes(pytester_env, *args, subprocess=True)
    assert len(single) == len(catalogue())
    assert _item_outcomes(pytester_env, *args, "-n", "2", subprocess=True) == single


def test_exitfirst_and_last_failed(pytester_env: pytest.Pytester) -> None:
    """-x stops at the first failing item; --lf then reruns only that item."""
    args = ["--taskapp-app", "tests.faults.apps:last_step_drops_cid", "--taskapp-api-key", KEY]
    first = pytester_env.runpytest(*args, "-p", "cacheprovider", "-x")
    assert _outcomes(first)["failed"] == 1
    assert "stopping after 1 failures" in first.stdout.str()
    again = _item_outcomes(pytester_env, *args, "-p", "cacheprovider", "--lf")
    assert again == {"CID-2": "failure"}


def test_junit_xml_has_one_testcase_per_check(pytester_env: pytest.Pytester) -> None:
    """--junitxml records one testcase per check."""
    pytester_env.runpytest("--taskapp-app", APP, "--taskapp-api-key", KEY, "--junitxml", "out.xml")
    xml = (pytester_env.path / "out.xml").read_text()
    assert len(re.findall(r"<testcase ", xml)) == len(catalogue())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--taskapp-select", "AUTH"], "--taskapp-select needs a target: set --taskapp-url URL"),
        (
            ["--taskapp-url", "http://127.0.0.1:9", "--taskapp-api-key", "k"],
            "cannot reach the target: http://127.0.0.1:9",
        ),
        (
            ["--taskapp-url", "http://127.0.0.1:9", "--taskapp-profile", "localapi"],
            "no API key for the target: pass --taskapp-api-key or set ENVIRONMENT_API_KEY",
        ),
        ([*_APP_WITH_KEY, "--taskapp-select", "NOPE"], "no check matches NOPE"),
        (
            [*_APP_WITH_KEY, "--taskapp-select", "AUTH", "--taskapp-ignore", "AUTH"],
            "the selection is empty: select and ignore leave no check to run",
        ),
        (["-m", "taskapp"], "-m 'taskapp' selects the catalogue, but no target is set: set"),
        (["-m", "slow or (taskapp_auth and not taskapp_should)"], "selects the catalogue"),
        (
            [*_APP_WITH_KEY, "--taskapp-fuzz-budget", "soon"],
            "--taskapp-fuzz-budget = 'soon': expected a number of seconds",
        ),
        (
            [*_APP_WITH_KEY, "--taskapp-fuzz-budget", "nan"],
            "--taskapp-fuzz-budget = 'nan': expected a number of seconds",
        ),
        (
            [*_APP_WITH_KEY, "--taskapp-fuzz-examples", "0"],
            "--taskapp-fuzz-examples = '0': must be at least 1",
        ),
    ],
    ids=[
        "no-target",
        "unreachable",
        "no-key",
        "unknown-check",
        "empty-selection",
        "m-without-target",
        "m-expression-without-target",
        "bad-fuzz-budget",
        "nan-fuzz-budget",
        "zero-fuzz-examples",
    ],
)
def test_misconfiguration_fails_loudly(
    pytester_env: pytest.Pytester, args: list[str], message: str
) -> None:
    """Misconfigured or unreachable targets stop the run with one clear message, never a green
    run.
    """
    result = pytester_env.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_inert_without_options(pytester_env: pytest.Pytester) -> None:
    """With no taskapp option a project's own tests run exactly as before."""
    pytester_env.makepyfile("def test_plain():\n    assert True\n")
    result = pytester_env.runpytest("-q")
    assert _outcomes(result) == {"passed": 1}
    assert "taskapp" not in result.stdout.str()


@pytest.mark.parametrize(
    "args",
    [["-m", "taskapp_db"], ["-m", "not taskapp"], ["-m", "taskapp_db and not taskapp_auth"]],
    ids=["own-marker", "not-ours", "own-and-not-ours"],
)
def test_expressions_that_select_none_of_ours_run_normally(
    pytester_env: pytest.Pytester, args: list[str]
) -> None:
    """Without a target, -m expressions that select no catalogue item leave the run alone."""
    pytester_env.makeini("[pytest]\nmarkers = taskapp_db: the project's own\n")
    pytester_env.makepyfile(
        "import pytest\n@pytest.mark.taskapp_db\ndef test_db():\n    assert True\n"
    )
    assert _outcomes(pytester_env.runpytest(*args)) == {"passed": 1}


def test_author_fixtures_and_assertions(pytester_env: pytest.Pytester, tmp_path: Path) -> None:
    """taskapp_client, rollout_request, inference_recorder and the assertion helpers work
    together.
    """
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"messages": [{"role": "user", "content": "hi"},'
        ' {"role": "assistant", "content": "yo"}]}\n'
    )
    pytester_env.makeconftest(
        "import pytest\n"
        "from conformance.target import asgi_target\n"
        "from tests.faults.apps import reference\n"
        "@pytest.fixture(scope='session')\n"
        "def taskapp_target():\n"
        f"    return asgi_target(reference(), {KEY!r}, 'mine')\n"
    )
    pytester_env.makepyfile(f"""
        from conformance.testing import assert_conforming_rollout, assert_valid_sft_jsonl

        def test_rollout(taskapp_client, rollout_request, inference_recorder):
            body = rollout_request(seed=3)
            response = taskapp_client.post("/rollout", json=body)
            assert_conforming_rollout(response, cid=body.cid, run_id=body["run_id"])
            assert {{c.cid for c in inference_recorder.recorder.calls()}} == {{body.cid}}

        def test_jsonl():
            assert_valid_sft_jsonl({str(good)!r})
    """)
    assert _outcomes(pytester_env.runpytest()) == {"passed": 2}


def test_assertion_failure_reads_like_the_cli() -> None:
    """assert_conforming_rollout names the location that lacks the cid, as a failure block."""
    from conformance.testing import ConformanceAssertionError, assert_conforming_rollout

    body = {
        "run_id": "r",
        "trajectories": [
            {
                "env_id": "e",
                "policy_id": "p",
                "steps": [],
                "length": 0,
                "inference_url": "http://h?cid=other",
            }
        ],
        "metrics": {"episode_returns": [0.0], "mean_return": 0.0, "num_steps": 0},
        "trace_correlation_id": "c",
        "pipeline_metadata": {"trace_correlation_id": "c", "inference_url": "http://h?cid=c"},
    }
    with pytest.raises(ConformanceAssertionError) as raised:
        assert_conforming_rollout(body, cid="c")
    assert str(raised.value).splitlines()[1:3] == [
        "  Sent:     POST /rollout with cid 'c'",
        "  Expected: trajectories[0].inference_url carrying exactly that cid",
    ]


_ALL_BUT_EP = ",".join(sorted({c.area for c in catalogue()} - {"EP"}))
_FALLBACKS = [
    ("--taskapp-select", "select", "TASKAPP_SELECT", "EP", {"passed": 4}),
    ("--taskapp-ignore", "ignore", "TASKAPP_IGNORE", _ALL_BUT_EP, {"passed": 4}),
]


def _pyproject(pytester: pytest.Pytester, **table: str) -> None:
    lines = [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    pytester.makepyprojecttoml("[tool.taskapp-conformance]\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize("where", ["cli", "env", "toml"])
@pytest.mark.parametrize(
    ("flag", "key", "env", "value", "expected"), _FALLBACKS, ids=["select", "ignore"]
)
def test_selection_options_and_fallbacks(
    pytester_env: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    flag: str,
    key: str,
    env: str,
    value: str,
    expected: dict[str, int],
) -> None:
    """Each selection option works from the command line, the environment and the config
    table.
    """
    args = ["--taskapp-app", APP, "--taskapp-api-key", KEY]
    if where == "cli":
        args += [flag, value]
    elif where == "env":
        monkeypatch.setenv(env, value)
    else:
        _pyproject(pytester_env, **{key: value})
    assert _outcomes(pytester_env.runpytest(*args)) == expected


@pytest.mark.parametrize("where", ["cli", "env", "toml"])
def test_target_options_and_fallbacks(
    pytester_env: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """--taskapp-url and --taskapp-app each work from the command line, environment and the
    config table.
    """
    from conformance.serving import ServerThread
    from tests.faults.apps import reference

    monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
    with ServerThread(reference()) as server:
        for flag, key, env, value in (
            ("--taskapp-url", "url", "TASKAPP_URL", server.url),
            ("--taskapp-app", "app", "TASKAPP_APP", APP),
        ):
            args = ["--taskapp-select", "EP"]
            if where == "cli":
                args += [flag, value]
            elif where == "env":
                monkeypatch.setenv(env, value)
            else:
                _pyproject(pytester_env, **{key: value})
            assert _outcomes(pytester_env.runpytest(*args)) == {"passed": 4}, (flag, where)
            monkeypatch.delenv(env, raising=False)


@pytest.mark.parametrize("where", ["cli", "env", "toml"])
def test_strict_and_inference_url_fallbacks(
    pytester_env: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """--taskapp-strict and --taskapp-inference-url each work from every source."""
    from conformance.inference import MockInferenceServer

    base = [
        "--taskapp-app",
        "tests.faults.apps:rejects_with_400",
        "--taskapp-api-key",
        KEY,
        "--taskapp-select",
        "AUTH-8,CID-4",
    ]
    with MockInferenceServer() as mock:
        args = [*base, "--taskapp-accept-unproven", "CID-4"]
        if where == "cli":
            args += ["--taskapp-strict", "--taskapp-inference-url", mock.url]
        elif where == "env":
            monkeypatch.setenv("TASKAPP_STRICT", "1")
            monkeypatch.setenv("TASKAPP_INFERENCE_URL", mock.url)
        else:
            pytester_env.makepyprojecttoml(
                f'[tool.taskapp-conformance]\nstrict = true\ninference_url = "{mock.url}"\n'
            )
        result = pytester_env.runpytest(*args)
    assert _outcomes(result) == {"failed": 1, "skipped": 1}


def test_fuzz_option_runs_fuzz_1(pytester_env: pytest.Pytester) -> None:
    """--taskapp-fuzz runs FUZZ-1 instead of skipping it."""
    result = pytester_env.runpytest(
        "--taskapp-app",
        APP,
        "--taskapp-api-key",
        KEY,
        "--taskapp-select",
        "FUZZ-1",
        "--taskapp-fuzz",
        "--taskapp-fuzz-examples",
        "3",
    )
    assert _outcomes(result) == {"passed": 1}


def test_fuzz_options_from_the_environment_and_a_failing_fuzz_item(
    pytester_env: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TASKAPP_FUZZ* set every fuzz setting from the environment; a 500 on a huge seed fails
    the FUZZ-1 item.
    """
    from conformance.plugin import _STATE

    monkeypatch.setenv("TASKAPP_FUZZ", "1")
    monkeypatch.setenv("TASKAPP_FUZZ_EXAMPLES", "10")
    monkeypatch.setenv("TASKAPP_FUZZ_SEED", "3")
    monkeypatch.setenv("TASKAPP_FUZZ_BUDGET", "60")
    config = pytester_env.parseconfigure("--taskapp-app", APP, "--taskapp-api-key", KEY)
    settings = config.stash[_STATE].options.settings
    assert (settings.fuzz, settings.fuzz_examples, settings.fuzz_seed, settings.fuzz_budget_s) == (
        True,
        10,
        3,
        60.0,
    )
    result = pytester_env.runpytest(
        "--taskapp-app",
        "tests.faults.apps:huge_seed_500",
        "--taskapp-api-key",
        KEY,
        "--taskapp-select",
        "FUZZ-1",
    )
    assert _outcomes(result) == {"failed": 1}
    result.stdout.fnmatch_lines(
        [
            "FUZZ-1 generated_cases_find_no_failure: fuzz seed 3: * cases in *",
            "*not_a_server_error on GET /task_info (*, seed 3*",
        ]
    )


def test_required_check_that_cannot_run_fails_loudly(
    pytester_env: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote app with no inference URL fails RO-1 (and what depends on it) as unproven,
    saying which pytest option to set, instead of skipping.
    """
    from conformance.target import Target

    monkeypatch.setattr(Target, "is_local", property(lambda self: False))
    result = pytester_env.runpytest(*_APP_WITH_KEY, "--taskapp-select", "RO-1,RO-2")
    assert _outcomes(result) == {"failed": 2}
    out = result.stdout.str()
    assert "RO-1 valid_rollout_returns_rollout_response: unproven, so the run is incomplete" in out
    assert "pass --taskapp-inference-url" in out
