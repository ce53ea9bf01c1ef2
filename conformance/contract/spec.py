"""Where the contract is written down, and how a check's `spec` becomes a link into it.

`docs/contract.md` states every rule in the repository, one explicit anchor per section
(`<a id="auth-key-header"></a>`). A check names its rule by that anchor
(`@check(..., spec="auth-key-header")`); what users see (the `Spec:` line, `list-checks`,
every report) is `docs/contract.md#auth-key-header`.

`SPEC_SECTIONS` is the one table that maps the section numbers of the study of synth-ai
the document was written from (`§2.2`, still cited by some messages, comments and rule
tables) to anchors, so a `spec="§2.2"` (an author's own check) links somewhere sensible
and the document's "Section numbers" table is generated from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

SPEC_DOCUMENT: Final = "docs/contract.md"
"""The contract as users read it, relative to the repository root."""

SECTION_INDEX_ANCHOR: Final = "section-numbers"
"""The document's table of section numbers: where an unknown `§` number links."""

SPEC_SECTIONS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "§0": ("File identity across synth-ai versions", "sources"),
        "§1": ("HTTP endpoints", "endpoints"),
        "§1.1": ("Endpoint summary", "endpoints"),
        "§1.2": ("Error envelope and status codes", "error-envelope"),
        "§1.3": ("What leaks", "secrets"),
        "§1.4": ("GET /info", "info"),
        "§1.5": ("GET /task_info", "task-info"),
        "§1.6": ("POST /rollout", "rollout"),
        "§1.7": ("GET /debug/env", "debug-env"),
        "§1.8": ("Vendor proxy routes", "endpoints"),
        "§1.9": ("App wiring (TaskAppConfig)", "endpoints"),
        "§1.10": ("JSON serialization", "json-values"),
        "§2": ("Authentication", "authentication"),
        "§2.1": ("Accepted keys", "auth-configured-keys"),
        "§2.2": ("Keys a request presents", "auth-presenting-the-key"),
        "§2.3": ("What synth-ai's clients send", "auth-presenting-the-key"),
        "§2.4": ("Status codes callers expect", "auth-rejection-status"),
        "§3": ("Data models", "rollout-request"),
        "§3.1": ("Enums (rollout modes)", "rollout-modes"),
        "§3.2": ("RolloutRequest", "rollout-request"),
        "§3.3": ("RolloutResponse", "rollout-response"),
        "§3.4": ("TaskInfo", "task-info-one-seed"),
        "§3.5": ("Other config models", "configs"),
        "§4": ("Validators and trace correlation", "cid"),
        "§4.1": ("validate_rollout_response_for_rl", "cid-pipeline-url"),
        "§4.2": ("normalize_inference_url", "cid-url-forms"),
        "§4.3": ("validate_task_app_url", "d27"),
        "§4.4": ("validate_task_app_endpoint", "task-info-seed-range"),
        "§4.5": ("synth-ai 0.2.24's task-app check", "task-app-check-0-2-24"),
        "§4.6": ("Trace correlation helpers", "cid"),
        "§5": ("Tracing", "trace-db"),
        "§5.1": ("Tracing environment variables", "trace-db-location"),
        "§5.2": ("SFT file naming", "d16"),
        "§5.3": ("Trace DB location", "trace-db-location"),
        "§5.4": ("Trace DB connection", "trace-db-location"),
        "§5.5": ("Trace DB schema", "trace-db-schema"),
        "§5.6": ("Trace write semantics", "trace-db-writing"),
        "§5.7": ("Trace data model", "rollout-trace"),
        "§5.8": ("RolloutResponse.trace and trace_format", "rollout-trace"),
        "§6": ("SFT JSONL", "sft-jsonl"),
        "§6.1": ("SFT record rules", "sft-jsonl-records"),
        "§6.2": ("SFT file validators", "sft-jsonl-files"),
        "§6.3": ("SFT lines synth-ai writes", "sft-jsonl"),
        "§7": ("synth-ai filter", "filter-config"),
        "§7.1": ("FilterConfig", "filter-config"),
        "§7.2": ("Filter TOML loading", "filter-config"),
        "§7.3": ("Filter algorithm", "filter-config"),
        "§8": ("SFT training config", "sft-config"),
        "§8.1": ("SFT TOML schema", "sft-config"),
        "§8.2": ("Hyperparameters", "sft-config"),
        "§8.3": ("Model allowlist", "sft-config"),
        "§8.4": ("build_sft_payload", "sft-config"),
        "§8.5": ("Upload, create and start", "sft-config"),
        "§9": ("synth-ai's CLI and a task app", "synth-ai-callers"),
        "§9.1": ("Command availability", "synth-ai-callers"),
        "§9.2": ("synth-ai eval", "synth-ai-callers"),
        "§9.3": ("synth-ai filter", "filter-config"),
        "§9.4": ("Serving", "synth-ai-callers"),
        "§9.5": ("Modal deployment", "synth-ai-callers"),
        "§9.6": ("task-app validate", "synth-ai-callers"),
        "§9.7": ("task-app info", "synth-ai-callers"),
        "§9.8": ("synth-ai smoke", "synth-ai-callers"),
        "§9.9": ("Training-time checks", "synth-ai-callers"),
        "§10": ("Conformance requirements and defects", "at-a-glance"),
        "§10.1": ("What a conformance suite checks", "at-a-glance"),
        "§10.2": ("Defects of synth-ai", "synth-ai-defects"),
        "§10.3": ("Open questions", "open-questions"),
        "Appendix A": ("Reconciled behaviour for a reference app", "at-a-glance"),
    }
)
"""Section number of the synth-ai study -> (its topic, the anchor that covers it here)."""

_ANCHOR = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LINK = re.compile(r"https?://[^\s\"'<>`()\[\]\\]+|[\w./~-]+#[\w-]+")


def is_anchor(name: str) -> bool:
    """Whether `name` is a well-formed anchor: lower-case words joined by hyphens."""
    return _ANCHOR.fullmatch(name) is not None


def is_link(spec: str) -> bool:
    """Whether `spec` is already a link of its own (`https://...`, `docs/x.md#y`): no
    spaces, quotes, angle brackets, backticks, parentheses or brackets, so it is safe as a
    Markdown link target and an HTML attribute.
    """
    return _LINK.fullmatch(spec) is not None


def section_anchor(number: str) -> str | None:
    """The anchor covering section `number` (`§4.6`, `§4.6.1` falls back to `§4.6`)."""
    key = number.strip()
    while key:
        if key in SPEC_SECTIONS:
            return SPEC_SECTIONS[key][1]
        key = key.rpartition(".")[0] if "." in key else ""
    return None


def spec_anchor(spec: str) -> str:
    """The anchor in `SPEC_DOCUMENT` a check's `spec` names.

    `spec` is an anchor (`auth-key-header`, `#auth-key-header`), a section number mapped
    through `SPEC_SECTIONS` (`§2.2`), or a link of its own (its fragment). Anything else
    leads to the table of section numbers.
    """
    text = spec.strip()
    if is_link(text):
        return text.rpartition("#")[2] if "#" in text else ""
    name = text.removeprefix("#")
    if is_anchor(name):
        return name
    return section_anchor(text) or SECTION_INDEX_ANCHOR


def spec_link(spec: str) -> str:
    """What users follow: `docs/contract.md#<anchor>`, or `spec` itself when it is a link."""
    text = spec.strip()
    if is_link(text):
        return text
    return f"{SPEC_DOCUMENT}#{spec_anchor(text)}"


def spec_problem(spec: str) -> str | None:
    """Why `spec` cannot name a rule (for `@check` to refuse it), or None."""
    text = spec.strip()
    if is_link(text) or is_anchor(text.removeprefix("#")):
        return None
    if text.startswith("§") or text == "Appendix A":
        if section_anchor(text) is None:
            return f"unknown section number {text!r} (see {SPEC_DOCUMENT}#{SECTION_INDEX_ANCHOR})"
        return None
    return (
        f"spec {spec!r} is neither an anchor of {SPEC_DOCUMENT} (lower-case words joined by "
        "hyphens, e.g. 'auth-key-header'), a section number ('§2.2') nor a link"
    )
