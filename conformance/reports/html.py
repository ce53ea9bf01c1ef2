"""One self-contained HTML page: verdict, summary cards that filter, expandable check rows.

Rows are ordered by what needs attention (FAIL, ERROR, WARN, baselined, SKIP, PASS), then
in catalogue order; failures start expanded.

No external assets and no JavaScript: styles are inline, filtering uses radio inputs and
CSS sibling selectors, rows expand with `<details>`. Every string is passed through
`html.escape`, so target-controlled text (bodies, reasons) can never become markup.
"""

from __future__ import annotations

import html
import re

from conformance.outcomes import FailureDetail, Outcome
from conformance.reports._common import (
    TOOL_NAME,
    headline,
    skip_label,
    spec_href,
    totals,
    totals_line,
    verdict,
)
from conformance.reports.latency import html_section as latency_section
from conformance.runner import CheckResult, RunReport

# (filter key, card label, empty-filter message)
_FILTERS = (
    ("all", "All checks", "No checks ran."),
    ("fail", "Failed", "No check failed."),
    ("error", "Errors", "No harness errors."),
    ("warn", "Warnings", "No warnings."),
    ("skip", "Skipped", "No check was skipped."),
    ("baselined", "Baselined", "No baselined failures."),
    ("pass", "Passed", "No check passed."),
)

_CSS = """
:root{--bg:#f6f7f9;--panel:#fff;--text:#1f2328;--muted:#656d76;--line:#d8dee4;
--code:#f3f4f6;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#0969da;
--error:#8250df;--baselined:#bc4c00;--all:#1f2328;}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--text:#e6edf3;
--muted:#8d96a0;--line:#30363d;--code:#1f242c;--pass:#3fb950;--fail:#f85149;--warn:#d29922;
--skip:#58a6ff;--error:#a371f7;--baselined:#db6d28;--all:#e6edf3;}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.45;
font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,monospace;
font-size:12.5px}
.wrap{max-width:1120px;margin:0 auto;padding:28px 24px 48px}
header.verdict{background:var(--panel);border:1px solid var(--line);border-radius:10px;
border-top:5px solid var(--v);padding:20px 24px;margin-bottom:20px}
header.v-pass{--v:var(--pass)}header.v-fail{--v:var(--fail)}header.v-incomplete{--v:var(--error)}
.brand{color:var(--muted);font-size:12px;letter-spacing:.04em;text-transform:uppercase}
h1{margin:6px 0 4px;font-size:22px;display:flex;align-items:center;gap:12px;
overflow-wrap:anywhere}
.pill{display:inline-block;padding:3px 12px;border-radius:999px;color:#fff;
background:var(--v);font-size:14px;letter-spacing:.06em}
.verdict-text{margin:0 0 14px;font-size:15px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0;font-size:13px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.filter{position:absolute;opacity:0;pointer-events:none}
.cards{display:grid;grid-template-columns:repeat(7,1fr);gap:10px;margin-bottom:18px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;
padding:10px 14px;cursor:pointer;border-left:4px solid var(--c);user-select:none}
.card:hover{border-color:var(--c)}
.card .num{display:block;font-size:24px;font-weight:600;color:var(--c)}
.card .lbl{color:var(--muted);font-size:12px}
.card.zero{opacity:.55}
.c-all{--c:var(--all)}.c-pass{--c:var(--pass)}.c-fail{--c:var(--fail)}.c-warn{--c:var(--warn)}
.c-skip{--c:var(--skip)}.c-error{--c:var(--error)}.c-baselined{--c:var(--baselined)}
.checks{background:var(--panel);border:1px solid var(--line);border-radius:10px;overflow:hidden}
.checks h2{font-size:13px;margin:0;padding:10px 16px;border-bottom:1px solid var(--line);
color:var(--muted);font-weight:600;display:flex;justify-content:space-between;gap:6px 16px;
flex-wrap:wrap}
details.check{border-bottom:1px solid var(--line)}
details.check:last-of-type{border-bottom:0}
details.check>summary{list-style:none;cursor:pointer;display:grid;align-items:baseline;
grid-template-columns:92px 78px minmax(0,1fr) 62px 72px;gap:12px;padding:9px 16px}
details.check>summary::-webkit-details-marker{display:none}
details.check>summary:hover{background:var(--code)}
details.check[open]>summary{background:var(--code)}
.badge{display:inline-block;text-align:center;width:82px;padding:1px 0;border-radius:4px;
font-size:11px;font-weight:700;letter-spacing:.05em;color:#fff;background:var(--c)}
.id{font-weight:600}.name{color:var(--muted)}
.title{overflow-wrap:anywhere}.title code{background:var(--code);padding:0 4px;border-radius:4px}
details[open]>summary .title code{background:var(--panel)}.title .name{display:block;font-size:12px}
.sev{font-size:11px;color:var(--muted);letter-spacing:.04em}
.time{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums;white-space:nowrap}
.time::after{content:"\\25B8";display:inline-block;width:14px;text-align:right}
details[open]>summary .time::after{content:"\\25BE"}
.body{padding:4px 16px 16px 120px}
.summary-line{margin:6px 0 10px;font-weight:600}.reason{margin:6px 0 8px;overflow-wrap:anywhere}
dl.block{display:grid;grid-template-columns:84px minmax(0,1fr);gap:6px 12px;margin:0}
dl.block dt{color:var(--muted);font-weight:600;padding-top:3px}
dl.block dd{margin:0}
dl.block pre{margin:0;padding:5px 8px;background:var(--code);border-radius:5px;
white-space:pre-wrap;overflow-wrap:anywhere}
.facts{color:var(--muted);margin:6px 0 0}
.empty{display:none;padding:18px 16px;color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:16px}
@media (max-width:760px){.wrap{padding:12px}.cards{grid-template-columns:repeat(4,1fr)}
details.check>summary{grid-template-columns:88px minmax(0,1fr) auto;grid-auto-flow:dense}
details.check>summary .title{grid-column:1/-1}.sev{display:none}.body{padding:4px 16px 16px}
dl.block{grid-template-columns:1fr}dl.block dt{padding-top:0}}
@media (prefers-color-scheme:dark){.badge,.pill{color:#0d1117}}
"""


def render_html(report: RunReport) -> str:
    """The report as one self-contained HTML document."""
    word = headline(report)
    counts = {**totals(report).by_outcome(), "all": len(report.results)}
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(TOOL_NAME)}: {word} - {e(report.target)}</title>",
        f"<style>{_CSS}{_filter_css()}</style>",
        "</head>",
        "<body>",
        '<div class="wrap">',
        f'<header class="verdict v-{word.lower()}">',
        f'<div class="brand">{e(TOOL_NAME)} {e(report.tool_version)} &middot; '
        "conformance report</div>",
        f'<h1><span class="pill">{word}</span>{e(report.target)}</h1>',
        f'<p class="verdict-text">{e(verdict(report))}</p>',
        _meta(report),
        "</header>",
        "<main>",
        *(
            f'<input class="filter" type="radio" name="filter" id="f-{key}"'
            f'{" checked" if key == "all" else ""} aria-label="{e(label)}">'
            for key, label, _ in _FILTERS
        ),
        '<nav class="cards" aria-label="Filter checks by outcome">',
        *(
            f'<label for="f-{key}" class="card c-{key}{" zero" if not counts[key] else ""}">'
            f'<span class="num">{counts[key]}</span><span class="lbl">{e(label)}</span></label>'
            for key, label, _ in _FILTERS
        ),
        "</nav>",
        '<section class="checks">',
        f"<h2><span>Checks</span><span>{e(totals_line(report))}</span></h2>",
        *(_row(r) for r in sorted(report.results, key=_attention)),
        *(
            f'<p class="empty e-{key}">{e(message)}</p>'
            for key, _, message in _FILTERS
            if not counts[key]
        ),
        "</section>",
        latency_section(report.latency_tables),
        "</main>",
        f"<footer>Generated by {e(TOOL_NAME)} {e(report.tool_version)}. Click a card to filter, "
        "a row to expand it. Secrets are shown as ***.</footer>",
        "</div>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _filter_css() -> str:
    rules = []
    for key, _, _ in _FILTERS:
        rules.append(f"#f-{key}:checked~.cards .c-{key}{{box-shadow:0 0 0 2px var(--c)}}")
        rules.append(f"#f-{key}:checked~.checks .e-{key}{{display:block}}")
        rules.append(f"#f-{key}:focus-visible~.cards .c-{key}{{outline:2px solid var(--c)}}")
        if key != "all":
            rules.append(f"#f-{key}:checked~.checks .check:not(.o-{key}){{display:none}}")
    return "\n".join(rules)


def _meta(report: RunReport) -> str:
    rows = [
        ("Started", report.started_at),
        ("Duration", f"{report.duration_s:.2f}s, {report.requests_sent} requests"),
        (
            "Mode",
            "strict (SHOULD violations fail)"
            if report.strict
            else "default (SHOULD violations warn)",
        ),
        ("Inference", report.inference),
    ]
    if report.stale_baseline:
        rows.append(
            (
                "Stale baseline",
                ", ".join(report.stale_baseline) + " (no longer failing; remove them)",
            )
        )
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f'<dl class="meta">{cells}</dl>'


_ATTENTION = {"fail": 0, "error": 1, "warn": 2, "baselined": 3, "skip": 4, "pass": 5}
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _attention(result: CheckResult) -> int:
    """Rows that need a person's attention first; `sorted` keeps catalogue order within."""
    return _ATTENTION["baselined" if result.baselined else result.outcome.value]


def _title(title: str) -> str:
    """A title or summary: escaped first, then its `code` spans set in monospace."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(title))


def _row(result: CheckResult) -> str:
    check = result.check
    e = html.escape
    key = "baselined" if result.baselined else result.outcome.value
    label = "KNOWN FAIL" if result.baselined else result.outcome.upper()
    is_open = " open" if result.outcome is Outcome.FAIL and not result.baselined else ""
    summary = (
        f'<summary><span><span class="badge c-{key}">{label}</span></span>'
        f'<span class="id mono">{e(check.id)}</span>'
        f'<span class="title">{_title(check.title)}'
        f'<span class="name mono">{e(check.name)}</span></span>'
        f'<span class="sev">{e(check.severity.value.upper())}</span>'
        f'<span class="time">{result.duration_s:.2f}s</span></summary>'
    )
    body = _block(result.detail) if result.detail is not None else _reason(result)
    facts = (
        f"Severity {e(check.severity.value.upper())} &middot; {_spec_link(check.spec_ref)}"
        + (f" &middot; tags: {e(', '.join(check.tags))}" if check.tags else "")
        + (f" &middot; depends on: {e(', '.join(check.depends_on))}" if check.depends_on else "")
    )
    return (
        f'<details class="check o-{key}" id="{e(check.id)}"{is_open}>{summary}'
        f'<div class="body">{body}<p class="facts">{facts}</p></div></details>'
    )


def _block(detail: FailureDetail) -> str:
    e = html.escape
    fields = (
        ("Sent", detail.sent),
        ("Expected", detail.expected),
        ("Got", detail.got),
        ("Fix", detail.fix),
        ("Spec", detail.spec),
    )
    rows = "".join(
        f"<dt>{k}</dt><dd><pre>{_spec_link(v) if k == 'Spec' else e(v) or '-'}</pre></dd>"
        for k, v in fields
    )
    summary = _title(detail.summary)
    return f'<p class="summary-line">{summary}</p><dl class="block">{rows}</dl>'


def _spec_link(spec: str) -> str:
    """The rule's link (`docs/contract.md#auth-key-header`) as an anchor element; any other
    text escaped, as is.
    """
    href = spec_href(spec)
    if href is None:
        return html.escape(spec) or "-"
    return f'<a href="{html.escape(href)}">{html.escape(spec)}</a>'


def _reason(result: CheckResult) -> str:
    if result.outcome is Outcome.PASS:
        text = f"Passed in {result.duration_s:.2f}s."
    elif result.outcome is Outcome.ERROR:
        text = f"The harness broke, not the target: {result.reason or 'no reason given'}"
    else:
        text = f"Skipped ({skip_label(result)}): {result.reason or 'no reason given'}"
    return f'<p class="reason">{html.escape(text)}</p>'
