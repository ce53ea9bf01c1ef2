"""The latency table (console, Markdown), chart (HTML, inline SVG, no script) and JSON of the
rollout latencies a run measured (`RunReport.latency_tables`, filled by LOAD-1).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from conformance.latency import LatencyRun, LatencyTable

_HEADERS = ("run", "rollouts", "errors", "p50", "p95", "wall", "rollouts/s")
_BAR_H, _BAR_GAP, _GROUP_GAP, _LABEL_W, _CHART_W = 9, 3, 22, 20, 540


def _cells(run: LatencyRun) -> tuple[str, ...]:
    return (
        run.label,
        str(run.count),
        str(run.errors),
        f"{run.p50_s:.2f}s",
        f"{run.p95_s:.2f}s",
        f"{run.wall_s:.2f}s",
        f"{run.throughput:.1f}",
    )


def _heading(table: LatencyTable) -> str:
    return f"{table.title} ({table.check_id})" + (f": {table.note}" if table.note else "")


def text_lines(tables: Sequence[LatencyTable]) -> list[str]:
    """Each table as aligned plain-text lines (the console's), a heading first."""
    lines: list[str] = []
    for table in tables:
        rows = [_HEADERS, *(_cells(r) for r in table.runs)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
        lines.append(_heading(table))
        for row in rows:
            first = row[0].ljust(widths[0])
            rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
            lines.append("  " + "  ".join([first, *rest]))
    return lines


def markdown_lines(tables: Sequence[LatencyTable]) -> list[str]:
    """Each table as a GitHub-flavoured Markdown table under a `###` heading."""
    lines: list[str] = []
    for table in tables:
        lines += [
            f"### {html.escape(_heading(table), quote=False)}",
            "",
            "| " + " | ".join(_HEADERS) + " |",
            "| --- |" + " ---: |" * (len(_HEADERS) - 1),
        ]
        lines += ["| " + " | ".join(html.escape(c) for c in _cells(r)) + " |" for r in table.runs]
        lines.append("")
    return lines


def svg_chart(table: LatencyTable) -> str:
    """One bar per rollout, grouped by run, on a shared seconds axis: inline SVG, no script."""
    longest = max((d for run in table.runs for d in run.durations_s), default=0.0) or 1.0
    scale = _CHART_W / longest
    parts: list[str] = []
    y = 14
    for run in table.runs:
        parts.append(
            f'<text x="0" y="{y}" class="lat-run">{html.escape(run.label)} '
            f"(p50 {run.p50_s:.2f}s, p95 {run.p95_s:.2f}s, wall {run.wall_s:.2f}s)</text>"
        )
        y += 6
        for i, duration in enumerate(sorted(run.durations_s)):
            width = max(1.0, duration * scale)
            parts.append(
                f'<rect x="{_LABEL_W}" y="{y}" width="{width:.1f}" height="{_BAR_H}" '
                f'class="lat-bar"><title>{html.escape(run.label)} #{i + 1}: '
                f"{duration:.3f}s</title></rect>"
            )
            y += _BAR_H + _BAR_GAP
        y += _GROUP_GAP - _BAR_GAP
    axis_y = y - _GROUP_GAP + 8
    for fraction in (0.0, 0.5, 1.0):
        x = _LABEL_W + fraction * _CHART_W
        parts.append(f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{axis_y}" class="lat-tick"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 12}" class="lat-axis" text-anchor="middle">'
            f"{fraction * longest:.2f}s</text>"
        )
    height = axis_y + 18
    width = _LABEL_W + _CHART_W + 30
    label = html.escape(_heading(table))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        "<style>.lat-bar{fill:#4c78a8}.lat-tick{stroke:#ccc}"
        ".lat-run,.lat-axis{font:11px sans-serif;fill:#333}</style>"
        f"{''.join(parts)}</svg>"
    )


def html_section(tables: Sequence[LatencyTable]) -> str:
    """A `<section>` with, per table, its heading, its table and its chart ('' for none)."""
    if not tables:
        return ""
    blocks = [
        '<section class="latency">',
        "<style>.latency table{border-collapse:collapse;margin:6px 0 10px}"
        ".latency th,.latency td{padding:2px 10px;text-align:right}"
        ".latency th:first-child,.latency td:first-child{text-align:left}</style>",
    ]
    for table in tables:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADERS)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r)) + "</tr>"
            for r in table.runs
        )
        blocks += [
            f"<h2>{html.escape(_heading(table))}</h2>",
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
            svg_chart(table),
        ]
    blocks.append("</section>")
    return "\n".join(blocks)


def to_json(tables: Sequence[LatencyTable]) -> list[dict[str, Any]]:
    """The tables as the JSON report's `latency` list."""
    return [
        {
            "check": table.check_id,
            "title": table.title,
            "note": table.note,
            "figures": {k: round(v, 4) for k, v in table.extra.items()},
            "runs": [
                {
                    "label": run.label,
                    "rollouts": run.count,
                    "errors": run.errors,
                    "wall_s": round(run.wall_s, 4),
                    "p50_s": round(run.p50_s, 4),
                    "p95_s": round(run.p95_s, 4),
                    "throughput": round(run.throughput, 3),
                    "durations_s": [round(d, 4) for d in run.durations_s],
                }
                for run in table.runs
            ],
        }
        for table in tables
    ]
