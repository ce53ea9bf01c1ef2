"""The key never reaches an artifact, in any spelling a reader could turn back into it.

An app that echoes the key (as is, in another case, JSON-escaped, percent-encoded, base64
or base64url at any byte offset, hex, reversed, or a 15-character piece of it) fails
SEC-1, and none of the outputs (console, JSON, JUnit, Markdown, HTML, the plugin's JUnit)
carries a decodable form of it. Nor does any error path: an app that fails to import,
a factory that raises, a key in the URL, a relay that answers with it, a crash of ours.

The oracle (`tests.engine.key_oracle`) decodes what an output holds instead of encoding
the key the way the redactor does, so it is no copy of it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from conformance.cli import main
from conformance.context import CheckContext
from conformance.exitcodes import ExitCode
from conformance.latency import LatencyRun, LatencyTable
from conformance.outcomes import CheckFailure, CheckSkipped, Outcome
from conformance.redaction import MIN_PIECE, Redactor
from conformance.registry import CheckSpec, Severity, catalogue
from conformance.runner import run_checks
from conformance.serving import ServerThread
from conformance.target import asgi_target
from tests.engine.key_oracle import decodable
from tests.faults import leak_faults
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.leak_faults import LEAK_KEY, SPELLINGS

ROOT = Path(__file__).resolve().parents[2]
SELECTION = "SEC-1,AUTH-9"
"""SEC-1 names the leak; AUTH-9 quotes the HTML rejection page that holds the key."""


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_oracle_sees_every_spelling(spelling: str) -> None:
    """The oracle is not blind: each spelling of the key, amid text, is decodable."""
    assert decodable(f"<p>expected {SPELLINGS[spelling](LEAK_KEY)}.</p>") != []


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_redactor_hides_every_spelling(spelling: str) -> None:
    """Each spelling, amid text and inside a repr, leaves nothing decodable behind."""
    redactor = Redactor([LEAK_KEY])
    spelled = SPELLINGS[spelling](LEAK_KEY)
    for text in (f"<p>expected {spelled}.</p>", repr({"detail": spelled})):
        hidden = redactor.text(text)
        assert decodable(hidden) == [], hidden
        assert "***" in hidden


_ENCODERS: dict[str, Callable[[str], str]] = {
    "verbatim": lambda piece: piece,
    "swapped case": str.swapcase,
    "JSON-escaped": lambda piece: "".join(f"\\u{ord(c):04X}" for c in piece),
    "percent-encoded": lambda piece: "".join(f"%{b:02x}" for b in piece.encode()),
    "hex": lambda piece: piece.encode().hex().upper(),
    "reversed": lambda piece: piece[::-1],
}
_KEYS = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=16, max_size=48)


@given(
    key=_KEYS,
    data=st.data(),
    before=st.binary(max_size=5),
    after=st.binary(max_size=5),
    urlsafe=st.booleans(),
)
def test_any_piece_in_base64_at_any_offset_is_hidden(
    key: str, data: st.DataObject, before: bytes, after: bytes, urlsafe: bool
) -> None:
    """A 6+-character piece of any key, base64 or base64url-encoded after 0 to 5 other
    bytes (each of the 3 alignments), is hidden.
    """
    start = data.draw(st.integers(0, len(key) - MIN_PIECE))
    piece = key[start : data.draw(st.integers(start + MIN_PIECE, len(key)))]
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    text = f"state={encode(before + piece.encode() + after).decode()}; done"
    assert decodable(Redactor([key]).text(text), key) == []


@given(key=_KEYS, data=st.data(), how=st.sampled_from(sorted(_ENCODERS)))
def test_any_piece_in_any_other_spelling_is_hidden(key: str, data: st.DataObject, how: str) -> None:
    """A 6+-character piece of any key, in each other spelling, is hidden, and only the key."""
    start = data.draw(st.integers(0, len(key) - MIN_PIECE))
    piece = key[start : data.draw(st.integers(start + MIN_PIECE, len(key)))]
    hidden = Redactor([key]).text(f"got {_ENCODERS[how](piece)} and a tail")  # keys hold no space
    assert decodable(hidden, key) == []
    assert hidden.startswith("got ")
    assert hidden.endswith(" and a tail")


# --- SEC-1 names the spelling without quoting it ----------------------------------------


_FINDINGS = {
    "verbatim": "the key appears verbatim",
    "uppercased": "the key appears in another letter case",
    "json_escaped": "the key appears JSON-escaped",
    "percent_encoded": "the key appears percent-encoded",
    "base64": "the key appears base64-encoded",
    "base64url": "the key appears base64url-encoded",
    "base64_in_a_blob_at_1": "the key appears base64-encoded",
    "base64url_in_a_blob_at_2": "the key appears base64url-encoded",
    "hex": "the key appears hex-encoded",
    "hex_uppercased": "the key appears hex-encoded",
    "reversed": "the key appears reversed",
    "first_15_base64": "a piece of the key appears base64-encoded",
}
"""How SEC-1 describes each spelling (in the header x-echo of GET /, its first probe)."""


def test_every_spelling_has_its_finding() -> None:
    """The table of expected findings covers every spelling the echoing apps use."""
    assert set(_FINDINGS) == set(SPELLINGS)


# --- every output of a run against an echoing app ---------------------------------------


def _check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], env={"ENVIRONMENT_API_KEY": LEAK_KEY})


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_no_output_of_check_carries_the_key(spelling: str, tmp_path: Path) -> None:
    """Console, JSON, JUnit, Markdown and HTML hold no decodable form of an echoed key, and
    SEC-1 names how it leaked.
    """
    paths = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "xml", "md", "html")}
    result = _check(
        "--app",
        f"tests.faults.leak_faults:echo_{spelling}",
        "--select",
        SELECTION,
        "--json",
        str(paths["json"]),
        "--junit-xml",
        str(paths["xml"]),
        "--markdown",
        str(paths["md"]),
        "--html",
        str(paths["html"]),
    )
    assert result.exit_code == 1, result.output
    outputs = {"console": result.output, **{f: p.read_text() for f, p in paths.items()}}
    assert {name: decodable(text) for name, text in outputs.items()} == {n: [] for n in outputs}
    results = {r["id"]: r for r in json.loads(outputs["json"])["checks"]}
    assert (
        results["SEC-1"]["detail"]["summary"]
        == f"{_FINDINGS[spelling]} in the header x-echo of GET /"
    )
    assert "***" in results["AUTH-9"]["detail"]["got"]  # it reached the report, hidden


@pytest.fixture
def pytester_env(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs can import the tests package."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.syspath_prepend(str(ROOT))
    return pytester


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_plugins_junit_carries_no_form_of_the_key(
    spelling: str, pytester_env: pytest.Pytester
) -> None:
    """`pytest --taskapp-app ... -m taskapp --junitxml`: neither the XML nor the terminal
    holds a decodable form of an echoed key.
    """
    junit = pytester_env.path / "junit.xml"
    result = pytester_env.runpytest(
        "--taskapp-app",
        f"tests.faults.leak_faults:echo_{spelling}",
        "--taskapp-api-key",
        LEAK_KEY,
        "--taskapp-select",
        SELECTION,
        "-m",
        "taskapp",
        "-rA",
        f"--junitxml={junit}",
    )
    assert result.ret == 1
    xml = junit.read_text()
    assert {"junit": decodable(xml), "terminal": decodable(result.stdout.str())} == {
        "junit": [],
        "terminal": [],
    }
    failures = [f.text or "" for f in ET.fromstring(xml).iter("failure")]
    assert any(_FINDINGS[spelling] in failure for failure in failures)


# --- the report itself, before any renderer ----------------------------------------------


def _strings(value: object) -> Iterator[str]:
    """Every string inside `value`: dataclass fields, mapping keys and values, items."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for pair in value.items():
            yield from _strings(pair)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _echoes_in_its_profile(app: object, spelled: str) -> FaultyApp:
    """`app`, whose `/task_info` also names its environment, split, model and inference URL
    after the key (what the runner learns as the target's profile).
    """

    def after(ex: Exchange) -> None:
        if ex.path == "/task_info" and ex.status == 200 and isinstance(body := ex.json(), dict):
            inference = {"model": spelled, "inference_url": f"https://relay.example/{spelled}"}
            dataset = {"splits": [spelled], "default_split": spelled}
            learned = {"environment": spelled, "dataset": dataset, "inference": inference}
            ex.set_json({**body, **learned})

    return FaultyApp(app, after=after)


def _checks_quoting(spelled: str) -> list[CheckSpec]:
    """Checks whose title and every finding (a failure, a skip, an error, a latency table)
    quote the key as spelled.
    """

    def fails(ctx: CheckContext) -> None:
        run = LatencyRun(f"rollouts for {spelled}", (0.1,), 0, 0.1)
        ctx.record_latency(LatencyTable("ECHO-1", f"latency {spelled}", (run,), f"on {spelled}"))
        raise CheckFailure(
            sent=f"sent {spelled}",
            expected=f"expected {spelled}",
            got=f"got {spelled}",
            fix=f"fix {spelled}",
            summary=f"summary {spelled}",
        )

    def skips(ctx: CheckContext) -> None:
        raise CheckSkipped(f"skipped for {spelled}")

    def breaks(ctx: CheckContext) -> None:
        raise RuntimeError(f"broke on {spelled}")

    return [
        CheckSpec(f"ECHO-{n}", f"echo_{n}", f"Quotes {spelled}.", Severity.MUST, "root", (), (), f)
        for n, f in enumerate((fails, skips, breaks), 1)
    ]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_report_is_redacted_before_any_renderer(spelling: str) -> None:
    """A run against an app that echoes the key everywhere (headers, rejection pages,
    /info, its profile), with checks quoting it in every finding, builds a `RunReport` none
    of whose strings holds a decodable form of it: the renderers get it already redacted.
    """
    spelled = SPELLINGS[spelling](LEAK_KEY)
    app = _echoes_in_its_profile(getattr(leak_faults, f"echo_{spelling}")(), spelled)
    target = asgi_target(app, LEAK_KEY, f"echoing app ({spelled})")
    selected = [c for c in catalogue() if c.id in SELECTION.split(",")]
    report = run_checks(target, [*selected, *_checks_quoting(spelled)])
    leaks = {text: decodable(text) for text in _strings(report) if decodable(text)}
    assert leaks == {}
    results = {r.check.id: r for r in report.results}
    assert results["SEC-1"].outcome is Outcome.FAIL  # the app did give the key away
    profile, (table,) = report.profile, report.latency_tables
    quoted = [
        report.target,
        results["ECHO-1"].check.title,
        *dataclasses.astuple(results["ECHO-1"].detail)[:5],
        results["ECHO-2"].reason,
        results["ECHO-3"].reason,
        table.title,
        table.note,
        table.runs[0].label,
        profile.env_name,
        profile.split,
        *profile.splits,
        profile.model,
        profile.inference_url,
    ]
    assert all("***" in (text or "") for text in quoted), quoted  # it got there, hidden


# --- error paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "attr", "expected"),
    [
        (
            "import os\n"
            "raise RuntimeError('refusing key ' + os.environ['ENVIRONMENT_API_KEY'].upper())\n",
            "app",
            "importing 'leaky_import' raised RuntimeError: refusing key ***",
        ),
        (
            "import os\n"
            "def create_app():\n"
            "    key = os.environ['ENVIRONMENT_API_KEY']\n"
            "    raise ValueError(f'key {key!r} is not {key[::-1]!r}')\n",
            "create_app",
            "the factory leaky_factory:create_app raised ValueError: key '***' is not '***'",
        ),
    ],
    ids=["import-error", "factory-exception"],
)
def test_an_app_that_fails_quoting_the_key_is_shown_redacted(
    pytester_env: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    attr: str,
    expected: str,
) -> None:
    """`--app` whose import or factory raises with the key: exit 2 and one redacted line,
    from the CLI and from the plugin.
    """
    module = "leaky_import" if attr == "app" else "leaky_factory"
    pytester_env.makepyfile(**{module: source})
    monkeypatch.syspath_prepend(str(pytester_env.path))
    monkeypatch.setenv("ENVIRONMENT_API_KEY", LEAK_KEY)
    result = CliRunner().invoke(main, ["check", "--app", f"{module}:{attr}"])
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {expected}\n"
    plugin = pytester_env.runpytest("--taskapp-app", f"{module}:{attr}")
    assert plugin.ret == pytest.ExitCode.USAGE_ERROR
    assert f"taskapp-conformance: {expected}" in plugin.stderr.str()
    assert decodable(plugin.stderr.str() + plugin.stdout.str()) == []


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:9/{LEAK_KEY}/api",
        f"http://127.0.0.1:9/tenants?id={LEAK_KEY.swapcase()}",
        f"http://127.0.0.1:99999/{LEAK_KEY}",
    ],
    ids=["key-in-the-path", "key-in-a-query-value", "invalid-url"],
)
def test_a_key_in_the_url_is_hidden_in_the_banner_and_errors(url: str) -> None:
    """The banner line and the unreachable (or invalid URL) message never show the key."""
    result = _check(url, "--quiet")
    assert result.exit_code in (2, 3), result.output
    assert decodable(result.output) == []
    assert "***" in result.output


def _echoing_relay() -> Starlette:
    async def calls(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"bad gateway for {LEAK_KEY.upper()}", status_code=502)

    return Starlette(routes=[Route("/_recorder/calls", calls, methods=["GET", "DELETE"])])


def test_a_relay_that_echoes_the_key_is_shown_redacted() -> None:
    """A relay answering with the key in its error body: exit 3, the message redacted."""
    with ServerThread(_echoing_relay()) as relay:
        result = _check(
            "--app", "tests.faults.leak_faults:echo_verbatim", "--quiet", "--recorder", relay.url
        )
    assert result.exit_code == 3, result.output
    assert "answered GET /_recorder/calls with 502" in result.output
    assert decodable(result.output) == []


def test_a_crash_of_ours_is_shown_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception during the run keeps its traceback, with the key hidden."""

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"unexpected answer {base64.b64encode(LEAK_KEY.encode()).decode()}")

    monkeypatch.setattr("conformance.runner.run_checks", crash)
    result = _check("--app", "tests.faults.leak_faults:echo_verbatim", "--quiet")
    assert result.exit_code == ExitCode.INTERNAL  # a bug of ours, never "does not conform"
    assert "RuntimeError: unexpected answer ***" in result.output
    assert "Traceback (most recent call last)" in result.output
    assert "taskapp-conformance itself failed (a bug, not a verdict on the app)" in result.output
    assert decodable(result.output) == []


def test_a_crash_inside_a_plugin_item_is_shown_redacted(pytester_env: pytest.Pytester) -> None:
    """A traceback of ours in a pytest item (not a check's block) is redacted in the
    terminal and in the JUnit XML.
    """
    pytester_env.makeconftest(
        "import conformance.plugin\n"
        "def _crash(self, spec):\n"
        f"    raise RuntimeError('lost ' + {LEAK_KEY.upper()!r})\n"
        "conformance.plugin._State.result = _crash\n"
    )
    junit = pytester_env.path / "junit.xml"
    result = pytester_env.runpytest_subprocess(
        "--taskapp-app",
        "tests.faults.leak_faults:echo_verbatim",
        "--taskapp-api-key",
        LEAK_KEY,
        "--taskapp-select",
        "EP-1",
        f"--junitxml={junit}",
    )
    assert result.ret == 1
    assert "RuntimeError: lost ***" in result.stdout.str()
    assert decodable(result.stdout.str() + junit.read_text()) == []
