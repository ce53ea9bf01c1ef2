"""JUnit XML: one testcase per check, with the child element its outcome calls for."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conformance.outcomes import FailureDetail, Outcome
from conformance.reports import render_junit
from conformance.reports.junit import xml_safe
from conformance.runner import CheckResult, RunReport
from tests.reports.reports_factory import AUTH1_BLOCK, make_report, make_spec


def _cases(report: RunReport) -> dict[str, ET.Element]:
    root = ET.fromstring(render_junit(report))
    return {c.attrib["name"].split()[0]: c for c in root.iter("testcase")}


def test_one_testcase_per_check(report: RunReport) -> None:
    """Every check becomes exactly one testcase named `<ID> <name>` in its area's class."""
    root = ET.fromstring(render_junit(report))
    cases = list(root.iter("testcase"))
    assert [c.attrib["name"] for c in cases] == [
        f"{r.check.id} {r.check.name}" for r in report.results
    ]
    assert cases[1].attrib["classname"] == "taskapp-conformance.AUTH"
    suite = root.find("testsuite")
    assert suite is not None
    assert {k: suite.attrib[k] for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "6",
        "failures": "1",
        "errors": "1",
        "skipped": "2",
    }


@pytest.mark.parametrize(
    ("check_id", "children"),
    [
        pytest.param("EP-1", [], id="pass"),
        pytest.param("AUTH-1", ["failure"], id="fail"),
        pytest.param("SEC-2", ["system-out"], id="warn"),
        pytest.param("RO-3", ["skipped"], id="skip"),
        pytest.param("CID-1", ["error"], id="error"),
        pytest.param("TI-2", ["skipped", "system-out"], id="baselined"),
    ],
)
def test_outcome_maps_to_child_element(
    report: RunReport, check_id: str, children: list[str]
) -> None:
    """PASS is empty, FAIL has <failure>, ERROR <error>, SKIP <skipped>, WARN <system-out>."""
    assert [child.tag for child in _cases(report)[check_id]] == children


def test_failure_carries_summary_and_block(report: RunReport) -> None:
    """<failure> has the summary as message and the failure block as text."""
    failure = _cases(report)["AUTH-1"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "a protected route answered without a key"
    assert failure.text == AUTH1_BLOCK


def test_warning_and_skip_texts(report: RunReport) -> None:
    """A warning shows its block in <system-out>; a skip and an error carry their reasons."""
    cases = _cases(report)
    assert (cases["SEC-2"].findtext("system-out") or "").startswith(
        "WARNING: SEC-2 hides_stack_traces: the error body echoes a stack trace\n  Sent:"
    )
    skipped = cases["RO-3"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "not applicable: the target declares no 'eval' split"
    assert (cases["CID-1"].findtext("error") or "").startswith("harness error: ConnectTimeout")
    baselined = cases["TI-2"].find("skipped")
    assert baselined is not None
    assert baselined.attrib["type"] == "baselined"


def test_control_characters_are_escaped_and_the_xml_stays_valid() -> None:
    """NUL, ESC and lone surrogates in a body are shown as \\xNN, so the XML still parses."""
    detail = FailureDetail("bad\x00", "s", "e", "200, body='\x1b[31m\ud800'", "f", "p")
    result = CheckResult(make_spec("EP-9", "n", "t"), Outcome.FAIL, 0.0, detail=detail)
    failure = ET.fromstring(render_junit(make_report([result]))).find(".//failure")
    assert failure is not None
    assert failure.attrib["message"] == "bad\\x00"
    assert "body='\\x1b[31m\\xd800'" in (failure.text or "")


def test_xml_safe_keeps_what_xml_allows() -> None:
    """Tabs, newlines, non-ASCII and astral characters pass through unchanged."""
    text = "tab\tnl\nsection § snake \U0001f40d"
    assert xml_safe(text) == text


def test_properties_describe_the_run(report: RunReport) -> None:
    """The suite's properties name the target, tool version, mode and exit code."""
    root = ET.fromstring(render_junit(report))
    props = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert props["target"] == "http://127.0.0.1:8123"
    assert (props["strict"], props["exit_code"], props["requests_sent"]) == ("false", "1", "148")
