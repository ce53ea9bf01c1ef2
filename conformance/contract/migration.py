"""What changes when a task app moves from one contract generation to a newer one, as data.

`check --migration-report PROFILE` renders these lists for one app (`conformance.migration`),
keeping only what its own answers show it uses. Every entry restates a fact of
docs/generations.md: the "What changed from ..." paragraph of the newer generation, or for
`container` -> `containers-2026-05`, which that page has no paragraph for, the route, request,
response and auth tables of both chapters. A pair more than one generation apart is the
adjacent lists joined only where nothing is replaced twice (`legacy-0.2` -> `container`);
the pairs into `containers-2026-05` replace everything the older generations had in common,
so they are written out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI, PROFILE_NAMES

GENERATIONS_DOCUMENT: Final = "docs/generations.md"
"""The verified facts of each generation, with the source line each comes from."""


class ChangeKind(StrEnum):
    """What a change touches."""

    ROUTE = "route"
    REQUEST_FIELD = "request field"
    RESPONSE_FIELD = "response field"
    AUTH = "auth"
    HEALTH = "health"
    INFO = "info"


class Scope(StrEnum):
    """Which apps a change concerns."""

    EVERY_APP = "every app"
    """The old generation required it (or the new one requires it): every app changes."""
    IF_USED = "if used"
    """Only an app that uses the old thing; the report lists it when the app's answers show it."""
    OPTIONAL = "optional"
    """Something new an app may offer; nothing breaks without it."""


@dataclass(frozen=True)
class Change:
    """One field, route or rule that the newer generation replaces."""

    id: str
    """Stable name of the change; the report's evidence about an app is keyed by it."""
    kind: ChangeKind
    old: str
    """What the old generation has (Markdown)."""
    new: str
    """What replaces it in the new generation (Markdown)."""
    note: str
    scope: Scope = Scope.EVERY_APP


@dataclass(frozen=True)
class Migration:
    """Every change from generation `old` to the newer `new`."""

    old: str
    new: str
    changes: tuple[Change, ...]
    unchanged: str
    """What stays as it was, in one sentence."""
    source: str
    """The chapter of docs/generations.md the facts come from."""


def _source(anchor: str) -> str:
    return f"{GENERATIONS_DOCUMENT}#{anchor}"


# --- legacy-0.2 -> localapi (docs/generations.md, localapi: "What changed from legacy-0.2") ---

REQUEST_RUN_ID = Change(
    "request-identity",
    ChangeKind.REQUEST_FIELD,
    "`run_id` (required) identifies the rollout",
    "`trace_correlation_id` (required, top level) identifies it; no `run_id` is sent",
    "An app that still requires `run_id` refuses every rollout. A body without a cid is a "
    "422 at `body.trace_correlation_id`; an empty string is a valid cid.",
)
REQUEST_MODE = Change(
    "request-mode",
    ChangeKind.REQUEST_FIELD,
    "`mode` (required: `rl` or `eval`)",
    "none: not sent (extra fields are ignored)",
    "Play every rollout as an `rl` one; requiring `mode` refuses every request.",
    Scope.IF_USED,
)
REQUEST_OPS = Change(
    "request-ops",
    ChangeKind.REQUEST_FIELD,
    '`ops` (required, e.g. `["agent", "env"]`)',
    "none: not sent",
    "The app plays the whole episode without being told its steps.",
    Scope.IF_USED,
)
REQUEST_RECORD = Change(
    "request-record",
    ChangeKind.REQUEST_FIELD,
    "`record` (`trajectories`, `return_trace`, `trace_format`)",
    "none: not sent",
    "What comes back is fixed by the response model: `trace` and `reward_info`.",
    Scope.IF_USED,
)
RESPONSE_TRAJECTORIES = Change(
    "response-trajectories",
    ChangeKind.RESPONSE_FIELD,
    "`trajectories[]` of `steps[]` (obs, tool_calls, reward, done, info)",
    "none: the episode goes in `trace`",
    "The response model has no `trajectories`; synth-ai 0.5+ drops them.",
)
RESPONSE_TRACE = Change(
    "response-trace",
    ChangeKind.RESPONSE_FIELD,
    "`trace`, when `record.return_trace` asks for it",
    "`trace` with a non-empty `event_history` (or `trace.session_trace.event_history`)",
    "synth-ai's RL validator refuses a response without it; a `?cid=` URL alone is not "
    "enough (GEN-3).",
)
RESPONSE_METRICS = Change(
    "response-reward",
    ChangeKind.RESPONSE_FIELD,
    "`metrics{episode_returns, mean_return, num_steps, outcome_score}`",
    "`reward_info{outcome_reward}` (required, a finite number)",
    "The score a trainer reads (GEN-2). synth-ai 0.4.12 calls it `metrics.outcome_reward`; "
    "0.5+ refuses the name `metrics`.",
)
RESPONSE_CID = Change(
    "response-cid",
    ChangeKind.RESPONSE_FIELD,
    "`trace_correlation_id` at the top level and in `pipeline_metadata`",
    "`trace_correlation_id` at the top level (required)",
    "It must equal the cid the request sent (GEN-1).",
)
RESPONSE_RUN_ID = Change(
    "response-run-id",
    ChangeKind.RESPONSE_FIELD,
    "`run_id`, echoed from the request",
    "none",
    "There is no run id any more: the cid identifies the rollout.",
)
RESPONSE_PIPELINE_METADATA = Change(
    "response-pipeline-metadata",
    ChangeKind.RESPONSE_FIELD,
    "`pipeline_metadata{inference_url, trace_correlation_id}`",
    "`inference_url` (with `?cid=`) and `trace_correlation_id` at the top level",
    "The URL is checked only in addition to the trace.",
)
RESPONSE_BRANCHES = Change(
    "response-branches",
    ChangeKind.RESPONSE_FIELD,
    "`branches`",
    "none",
    "Dropped from the response model.",
    Scope.IF_USED,
)
RESPONSE_ABORTED = Change(
    "response-status",
    ChangeKind.RESPONSE_FIELD,
    "`aborted` (a boolean)",
    "`success_status` (`success`, `timeout`, `network_error`, `apply_failed`, "
    "`runtime_error`, `failure`, or null) and `status_detail`",
    "Any other `success_status` is refused (GEN-4).",
    Scope.IF_USED,
)

_LEGACY_TO_LOCALAPI = Migration(
    LEGACY,
    LOCALAPI,
    (
        REQUEST_RUN_ID,
        REQUEST_MODE,
        REQUEST_OPS,
        REQUEST_RECORD,
        RESPONSE_TRAJECTORIES,
        RESPONSE_TRACE,
        RESPONSE_METRICS,
        RESPONSE_CID,
        RESPONSE_RUN_ID,
        RESPONSE_PIPELINE_METADATA,
        RESPONSE_BRANCHES,
        RESPONSE_ABORTED,
    ),
    "The routes, `/health`, the API key and `/task_info` stay as they are.",
    _source("localapi"),
)

# --- localapi -> container (docs/generations.md, container: "What changed from localapi") ---

_KEY_AUTH = "`X-API-Key` (or `X-API-Keys`, `Authorization: Bearer`) equal to `ENVIRONMENT_API_KEY`"
AUTH_TOKEN = Change(
    "auth",
    ChangeKind.AUTH,
    _KEY_AUTH,
    "`X-Synth-Container-Authorization: Bearer <token>`: a PASETO v4.public token signed by "
    "a key in `SYNTH_CONTAINER_TRUSTED_PUBKEYS`, `aud` `synth-container`, `iss` "
    "`synth-backend`, `exp`, `nbf` and `iat` checked",
    "`X-API-Key` is not read at all; with no trusted key set every token is refused "
    "(CTR-2, CTR-3).",
)
AUTH_SCOPES = Change(
    "auth-scopes",
    ChangeKind.AUTH,
    "one key opens every protected route",
    "scoped tokens: `/rollout` needs `rollout`; `/info` and `/task_info` need `task_info`",
    "A token without the route's scope is refused 401 (CTR-4).",
)
AUTH_REFUSAL = Change(
    "auth-refusal",
    ChangeKind.AUTH,
    "a wrong or missing key: 400 `unauthorised`, the body listing `allowed_first15`",
    "401 with `detail.error.code` `auth_missing` (no token) or `auth_invalid` (a bad one), "
    "no key material",
    "CTR-3; the codes are CTR-5.",
)
HEALTH_PUBLIC = Change(
    "health",
    ChangeKind.HEALTH,
    "`GET /health` needs the key: `{healthy, auth{required, expected_prefix}}`",
    "`GET /health` without credentials: `{healthy: true, auth{required: true, mode, "
    'required_header: "x-synth-container-authorization"}}`',
    "`auth.mode` is `required`, `optional_local` or `disabled` "
    "(`SYNTH_CONTAINER_AUTH_MODE`); CTR-1.",
)
RESPONSE_VALIDATED = Change(
    "response-validated",
    ChangeKind.RESPONSE_FIELD,
    "an executor's response that fails the model is returned unvalidated, with 200",
    "422 `invalid_rollout_response` with `validation_errors`",
    "A response without a reward, or with `success_status` off its enum, no longer passes.",
)
REQUEST_CID_NON_EMPTY = Change(
    "request-cid-non-empty",
    ChangeKind.REQUEST_FIELD,
    "`trace_correlation_id`: any string, the empty one included",
    "a non-blank `trace_correlation_id` (blank is a 422)",
    "Only a caller that sent an empty cid notices.",
    Scope.IF_USED,
)
REQUEST_MAX_TIME = Change(
    "request-max-time",
    ChangeKind.REQUEST_FIELD,
    "`safety.max_time_s`: a float",
    "`safety.max_time_s`: an int",
    "Read it as a number of seconds either way.",
    Scope.IF_USED,
)
RESPONSE_METRICS_ALIAS = Change(
    "response-metrics-alias",
    ChangeKind.RESPONSE_FIELD,
    "`reward_info` only (synth-ai 0.4.12: `metrics`)",
    "`reward_info`; an executor may still return `metrics`, served as `reward_info`",
    "The wire always says `reward_info`: write that name.",
    Scope.IF_USED,
)
ROUTE_VALIDATE_CANDIDATE = Change(
    "route-validate-candidate",
    ChangeKind.ROUTE,
    "none",
    "`POST /validate-candidate`, served when the app configures a `validate_candidate` callback",
    "Any valid token is accepted there.",
    Scope.OPTIONAL,
)

_LOCALAPI_TO_CONTAINER = Migration(
    LOCALAPI,
    CONTAINER,
    (
        AUTH_TOKEN,
        AUTH_SCOPES,
        AUTH_REFUSAL,
        HEALTH_PUBLIC,
        RESPONSE_VALIDATED,
        REQUEST_CID_NON_EMPTY,
        REQUEST_MAX_TIME,
        RESPONSE_METRICS_ALIAS,
        ROUTE_VALIDATE_CANDIDATE,
    ),
    "The routes, the request and response models and `/task_info` stay as they are.",
    _source("container"),
)

# --- -> containers-2026-05 (docs/generations.md, containers-2026-05: routes, request, response,
# auth; "What changed from legacy-0.2") -----------------------------------------------------

ROUTE_ROLLOUTS = Change(
    "route-rollout",
    ChangeKind.ROUTE,
    "`POST /rollout`",
    "`POST /rollouts` (the SDK still answers a hidden `POST /rollout`)",
    "CS-3.",
)
ROUTE_LIFECYCLE = Change(
    "route-lifecycle",
    ChangeKind.ROUTE,
    "none: a rollout is one blocking request",
    "`GET /rollouts/{id}`, `GET /rollouts/{id}/state`, `POST /rollouts/{id}/terminate`; "
    "an async submission answers at once and is polled",
    "States queued, running, paused, completed, failed, cancelled, with legal transitions "
    "only (CS-5, CS-6).",
)
INFO_METADATA = Change(
    "route-info",
    ChangeKind.INFO,
    "`GET /info`: `service{task, version}`, `dataset`, `rubrics`, `inference`, `limits`",
    "`GET /metadata` (alias `/info`, same body): `capabilities{protocol, contract_version, "
    "rollout_modes, route_hints, live_frames, metadata}`, `runtime{runtime_id, name, "
    "description}`",
    "`capabilities.protocol` starts `synth.container.` (CS-2); every route hint is served (CS-9).",
)
ROUTE_TASK_INFO = Change(
    "route-task-info",
    ChangeKind.ROUTE,
    "`GET /task_info?seed=N`: the instance of each seed (an object for one, a list for several)",
    "`GET /task_info`: one task description `{task{task_id, task_name, description}, "
    "metadata}`; the SDK ignores the query",
    "Rows per seed, if the app serves them, come from `POST /dataset/rows` (CS-8).",
)
ROUTE_ROOT = Change(
    "route-root",
    ChangeKind.ROUTE,
    "`GET /` and `HEAD /`: 200 `{status, service}`",
    "`GET /`: `{status, contract_version, runtime, task_info}`; `HEAD /` is a 405",
    "Point health probes at `GET /health`.",
)
HEALTH_CONTRACT_VERSION = Change(
    "health",
    ChangeKind.HEALTH,
    "`GET /health` without credentials: `{healthy, auth{required, mode, required_header}}`",
    '`GET /health` without credentials: `{"status": "ok", "contract_version": "2026-05-28"}`',
    "CS-1.",
)
AUTH_NONE = Change(
    "auth",
    ChangeKind.AUTH,
    "a PASETO token in `X-Synth-Container-Authorization`, scoped per route",
    "none",
    "The package's tunnel strips `authorization`, `x-api-key` and `x-api-keys` before the app "
    "sees a request.",
)
REQUEST_ROLLOUT_ID = Change(
    "request-identity",
    ChangeKind.REQUEST_FIELD,
    "`trace_correlation_id` (required) identifies the rollout",
    "`rollout_id` identifies it (`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$` in the reference "
    "adapter); `trace_correlation_id` is optional",
    "The record echoes `rollout_id` (CS-3); the same id with the same body replays it, with "
    "another body it is a 409 `rollout_identity_conflict` (CS-7).",
)
REQUEST_SUBMISSION_MODE = Change(
    "request-submission-mode",
    ChangeKind.REQUEST_FIELD,
    "none",
    "`submission_mode`: `sync` or `async`",
    "Async needs `async` in `capabilities.rollout_modes` (CS-5).",
)
REQUEST_ENV = Change(
    "request-env",
    ChangeKind.REQUEST_FIELD,
    "`env{env_name, seed, config{index, split}}`",
    "`seed` at the top level; `env` a free-form object",
    "The reference adapter refuses fields its model does not have (422 `extra_forbidden`).",
)
REQUEST_POLICY = Change(
    "request-policy",
    ChangeKind.REQUEST_FIELD,
    "`policy{policy_name, config{inference_url, model}}`",
    "`policy{provider, model, inference_url, api_family, ...}` (`provider` and `model` "
    "required by the reference adapter)",
    "A credential-like key (`api_key`, `authorization`, ...) in `policy.config` is a 422.",
)
RESPONSE_RECORD = Change(
    "response-record",
    ChangeKind.RESPONSE_FIELD,
    "a RolloutResponse: `trace_correlation_id`, `reward_info`, `trace`, `inference_url`, "
    "`success_status`, `status_detail`",
    "a rollout record: `rollout_id`, `status`, `success_status`, `created_at`, `updated_at` "
    "(non-empty strings), plus `reward_info`, `summary`, `usage`, `trace`",
    "`status` is one of queued, running, paused, completed, failed, cancelled (CS-3).",
)
RESPONSE_SUCCESS_STATUS = Change(
    "response-status",
    ChangeKind.RESPONSE_FIELD,
    "`success_status`: `success`, `timeout`, `network_error`, `apply_failed`, "
    "`runtime_error`, `failure`",
    "`success_status` by state: `pending`, `running`, `paused`, `success`, `failed`, `cancelled`",
    "It follows `status`.",
)
RESPONSE_REWARD = Change(
    "response-reward",
    ChangeKind.RESPONSE_FIELD,
    "`reward_info.outcome_reward` (required)",
    "`reward_info.outcome_reward` on a completed record",
    "Recommended, not required: the SDK accepts a record without it (CS-4, should).",
)
ROUTE_DROPPED = Change(
    "route-dropped",
    ChangeKind.ROUTE,
    "`POST /done`, `GET /debug/env`, `POST /validate-candidate`",
    "none: not served",
    "Nothing calls them in the new generation.",
    Scope.IF_USED,
)
ROUTES_NEW = Change(
    "routes-optional",
    ChangeKind.ROUTE,
    "none",
    "`GET /dataset` + `POST /dataset/rows`, `GET /compatibility`, `GET /task_catalog`, "
    "`GET /program`, `GET /taskset`",
    "When served they are checked: rows per seed (CS-8), compatibility reports (CS-10).",
    Scope.OPTIONAL,
)

_CONTAINER_TO_CONTAINERS = Migration(
    CONTAINER,
    CONTAINERS,
    (
        ROUTE_ROLLOUTS,
        ROUTE_LIFECYCLE,
        REQUEST_ROLLOUT_ID,
        REQUEST_SUBMISSION_MODE,
        REQUEST_ENV,
        REQUEST_POLICY,
        RESPONSE_RECORD,
        RESPONSE_SUCCESS_STATUS,
        RESPONSE_REWARD,
        HEALTH_CONTRACT_VERSION,
        ROUTE_ROOT,
        INFO_METADATA,
        ROUTE_TASK_INFO,
        AUTH_NONE,
        ROUTE_DROPPED,
        ROUTES_NEW,
    ),
    "Nothing on the wire stays; the task itself carries over.",
    _source("containers-2026-05"),
)


def _from_key_generation(migration: Migration, old: str) -> Migration:
    """`container` -> `containers-2026-05` as seen from an API-key generation (`old`)."""
    health = "`GET /health` needs the key: `{healthy, auth{required, expected_prefix}}`"
    swaps = {
        "health": Change("health", ChangeKind.HEALTH, health, HEALTH_CONTRACT_VERSION.new, "CS-1."),
        "auth": Change("auth", ChangeKind.AUTH, _KEY_AUTH, AUTH_NONE.new, AUTH_NONE.note),
        "route-dropped": Change(
            "route-dropped",
            ChangeKind.ROUTE,
            "`POST /done`, `GET /debug/env`",
            ROUTE_DROPPED.new,
            ROUTE_DROPPED.note,
            Scope.IF_USED,
        ),
    }
    if old == LEGACY:
        swaps |= {
            "request-identity": Change(
                "request-identity",
                ChangeKind.REQUEST_FIELD,
                "`run_id` (required) identifies the rollout; `mode` (`rl`/`eval`) and `ops` "
                "are required",
                "`rollout_id` identifies it; no `mode` or `ops`",
                REQUEST_ROLLOUT_ID.note,
            ),
            "response-record": Change(
                "response-record",
                ChangeKind.RESPONSE_FIELD,
                "a RolloutResponse: `run_id`, `trajectories[]`, `metrics`, `pipeline_metadata`, "
                "`trace_correlation_id`, `aborted`",
                RESPONSE_RECORD.new,
                RESPONSE_RECORD.note,
            ),
            "response-reward": Change(
                "response-reward",
                ChangeKind.RESPONSE_FIELD,
                RESPONSE_METRICS.old,
                RESPONSE_REWARD.new,
                RESPONSE_REWARD.note,
            ),
            "response-status": Change(
                "response-status",
                ChangeKind.RESPONSE_FIELD,
                RESPONSE_ABORTED.old,
                RESPONSE_SUCCESS_STATUS.new,
                RESPONSE_SUCCESS_STATUS.note,
            ),
        }
    changes = tuple(swaps.get(c.id, c) for c in migration.changes)
    return Migration(old, migration.new, changes, migration.unchanged, migration.source)


def _joined(first: Migration, then: Migration, *, drop: tuple[str, ...] = ()) -> Migration:
    """Two adjacent migrations in a row, when no change of `then` replaces one of `first`."""
    changes = tuple(c for c in (*first.changes, *then.changes) if c.id not in drop)
    return Migration(
        first.old, then.new, changes, "The routes and `/task_info` stay as they are.", then.source
    )


MIGRATIONS: Final[dict[tuple[str, str], Migration]] = {
    (m.old, m.new): m
    for m in (
        _LEGACY_TO_LOCALAPI,
        _LOCALAPI_TO_CONTAINER,
        _CONTAINER_TO_CONTAINERS,
        # A legacy app's `metrics` has no `outcome_reward`: the container's alias saves nothing.
        _joined(_LEGACY_TO_LOCALAPI, _LOCALAPI_TO_CONTAINER, drop=("response-metrics-alias",)),
        _from_key_generation(_CONTAINER_TO_CONTAINERS, LOCALAPI),
        _from_key_generation(_CONTAINER_TO_CONTAINERS, LEGACY),
    )
}
"""Every (older, newer) pair of generations -> what changes."""


def is_older(old: str, new: str) -> bool:
    """Whether generation `old` came before `new` (PROFILE_NAMES is oldest first)."""
    return PROFILE_NAMES.index(old) < PROFILE_NAMES.index(new)


def migration(old: str, new: str) -> Migration:
    """The changes from `old` to the newer `new`; KeyError when `old` is not older."""
    return MIGRATIONS[(old, new)]
