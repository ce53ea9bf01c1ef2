"""JUnit XML: one `<testcase>` per check, readable by every CI test-report viewer.

Mapping (documented in JSON_SCHEMA.md, "JUnit XML"):

* PASS: an empty `<testcase>`.
* FAIL: `<failure message="{summary}" type="CheckFailure">` holding the failure block.
* ERROR: `<error message="{reason}" type="HarnessError">` holding the reason.
* SKIP: `<skipped message="{unproven|not applicable|not selected}: {reason}"/>`.
* WARN: passes (a SHOULD violation does not fail the run) and carries the warning block in
  `<system-out>`, starting with `WARNING:`, so viewers show it next to the passing case.
* Baselined FAIL: `<skipped type="baselined" message="known failure (baselined): ...">` with
  the failure block in `<system-out>`, like pytest reports an expected failure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.outcomes import Outcome
from conformance.reports._common import (
    TOOL_NAME,
    failure_block,
    skip_label,
    totals,
)
from conformance.runner import CheckResult, RunReport

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with characters XML 1.0 forbids (NUL, ESC, lone surrogates...) shown as `\\xNN`."""
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_junit(report: RunReport) -> str:
    """The report as a JUnit XML document (UTF-8 text with an XML declaration)."""
    counts = totals(report)
    attrs = {
        "name": TOOL_NAME,
        "tests": str(len(report.results)),
        "failures": str(counts.failed),
        "errors": str(counts.errors),
        "skipped": str(counts.skipped + counts.baselined),
        "time": f"{report.duration_s:.3f}",
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", {**attrs, "timestamp": report.started_at})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", report.target),
        ("tool_version", report.tool_version),
        ("strict", str(report.strict).lower()),
        ("inference", report.inference),
        ("requests_sent", str(report.requests_sent)),
        ("verdict", report.verdict.value),
        ("exit_code", str(int(report.exit_code()))),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for result in report.results:
        _testcase(suite, result)
    _sanitise(suites)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _testcase(suite: ET.Element, result: CheckResult) -> None:
    check = result.check
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"{TOOL_NAME}.{check.area}",
            "name": f"{check.id} {check.name}",
            "time": f"{result.duration_s:.3f}",
        },
    )
    summary = result.detail.summary if result.detail else ""
    if result.outcome is Outcome.FAIL and result.baselined:
        message = f"known failure (baselined): {summary}"
        ET.SubElement(case, "skipped", {"type": "baselined", "message": message})
        ET.SubElement(case, "system-out").text = failure_block(result)
    elif result.outcome is Outcome.FAIL:
        failure = ET.SubElement(case, "failure", {"message": summary, "type": "CheckFailure"})
        failure.text = failure_block(result)
    elif result.outcome is Outcome.ERROR:
        error = ET.SubElement(case, "error", {"message": result.reason, "type": "HarnessError"})
        error.text = result.reason
    elif result.outcome is Outcome.SKIP:
        ET.SubElement(case, "skipped", {"message": f"{skip_label(result)}: {result.reason}"})
    elif result.outcome is Outcome.WARN:
        ET.SubElement(case, "system-out").text = f"WARNING: {failure_block(result)}"


def _sanitise(root: ET.Element) -> None:
    """Make every attribute value and text node under `root` XML-safe."""
    for element in root.iter():
        for key, value in element.attrib.items():
            element.set(key, xml_safe(value))
        if element.text:
            element.text = xml_safe(element.text)
