"""`write_reports`: every file appears whole or not at all, in directories it creates."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.reports import ReportWriteError, write_reports
from conformance.runner import RunReport
from tests.reports.reports_factory import SECRET


def test_writes_every_format_into_new_directories(tmp_path: Path, report: RunReport) -> None:
    """All four files are written, parent directories created, nothing else left behind."""
    out = tmp_path / "a" / "b"
    written = write_reports(
        report,
        json_path=out / "r.json",
        junit_path=out / "junit" / "r.xml",
        markdown_path=out / "r.md",
        html_path=tmp_path / "html" / "r.html",
    )
    assert [p.name for p in written] == ["r.json", "r.xml", "r.md", "r.html"]
    assert json.loads((out / "r.json").read_text("utf-8"))["schema_version"] == 2
    ET.parse(out / "junit" / "r.xml")
    assert (out / "r.md").read_text("utf-8").startswith("## taskapp-conformance")
    assert (tmp_path / "html" / "r.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    every = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert every == ["r.html", "r.json", "r.md", "r.xml"]


def test_nothing_requested_writes_nothing(tmp_path: Path, report: RunReport) -> None:
    """Without paths, no file is written."""
    assert write_reports(report) == []


def test_failed_write_keeps_the_old_file_and_no_temp(
    tmp_path: Path, report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the previous report stays intact and the temp file is gone."""
    target = tmp_path / "r.json"
    target.write_text("old", "utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ReportWriteError) as info:
        write_reports(report, json_path=target)
    assert str(info.value) == f"cannot write the JSON report to {target}: No space left on device"
    assert target.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_overwrites_an_existing_report(tmp_path: Path, report: RunReport) -> None:
    """An existing file is replaced whole."""
    target = tmp_path / "r.md"
    target.write_text("x" * 100_000, "utf-8")
    write_reports(report, markdown_path=target)
    assert target.read_text("utf-8").startswith("## taskapp-conformance")
    assert len(list(tmp_path.iterdir())) == 1


def test_unwritable_path_is_one_clear_line(tmp_path: Path, report: RunReport) -> None:
    """A path under a regular file fails with ReportWriteError naming the report and path."""
    blocker = tmp_path / "file"
    blocker.write_text("", "utf-8")
    with pytest.raises(ReportWriteError, match=r"^cannot write the HTML report to .*r\.html: "):
        write_reports(report, html_path=blocker / "r.html")


def test_no_file_carries_a_secret(tmp_path: Path, planted_report: RunReport) -> None:
    """Every file written from a report (redacted where it was built) is free of the key."""
    paths = {f"{k}_path": tmp_path / f"r.{k}" for k in ("json", "junit", "markdown", "html")}
    write_reports(planted_report, **paths)
    for path in paths.values():
        assert SECRET not in path.read_text("utf-8")
