"""``taskapp-conformance mock-inference``: the recording mock, or relay, as a server."""

from __future__ import annotations

import sys
import textwrap

import click

from conformance.exitcodes import ExitCode
from conformance.inference.relay import (
    ENV_NAMES,
    TOKEN_ENV,
    RelayConfigError,
    RelaySettings,
    create_relay_app,
)
from conformance.inference.script import ModelFault
from conformance.inference.server import CALLS_PATH

_DEFAULTS = RelaySettings()
_FAULTS = textwrap.fill(
    ", ".join(kind.value for kind in ModelFault),
    width=78,
    initial_indent=" " * 6,
    subsequent_indent=" " * 6,
    break_on_hyphens=False,
)
_EPILOG = f"""\b
Examples:
  taskapp-conformance mock-inference                       # loopback, recordings open
  export {TOKEN_ENV}="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
  taskapp-conformance mock-inference --host 0.0.0.0 --port 8002   # a relay for deployed apps
  taskapp-conformance check https://my-app.modal.run --recorder http://relay-host:8002

\b
Endpoints:
  POST <any path ending in /chat/completions>   the model side, no credentials
  POST /r/<id>/latency/<ms>/..., /r/<id>/replay/<id2>/..., /r/<id>/fault/<kind>/...
      one rollout's scripted model (the behaviour checks); the faults:
{_FAULTS}
  GET, DELETE /_recorder/calls[?prefix=/r/<route>/]   the recordings, with
      Authorization: Bearer <token> when a token is set

\b
Exit codes:
  0  stopped normally
  1  the server failed (e.g. the port is in use)
  2  usage error: no token off loopback, a weak token, a bad bound
"""


class _OneLineErrors(click.Command):
    """A command whose usage errors print one line (``Error: ...``) and exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None
            raise


@click.command(cls=_OneLineErrors, epilog=_EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8002, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    show_envvar=True,
    help="Bearer token of the recordings API (16+ characters); required off loopback.",
)
@click.option(
    "--accuracy",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of episodes the scripted policy answers correctly (deterministic per cid).",
)
@click.option(
    "--max-calls",
    default=_DEFAULTS.max_calls,
    show_default=True,
    envvar=ENV_NAMES["max_calls"],
    show_envvar=True,
    type=click.IntRange(1),
    help="Calls kept; the oldest is evicted first.",
)
@click.option(
    "--max-bytes",
    default=_DEFAULTS.max_bytes,
    show_default=True,
    envvar=ENV_NAMES["max_bytes"],
    show_envvar=True,
    type=click.IntRange(1),
    help="Total size of the calls kept (as JSON); the oldest are evicted first.",
)
@click.option(
    "--max-age",
    default=_DEFAULTS.max_age_s,
    show_default=True,
    envvar=ENV_NAMES["max_age_s"],
    show_envvar=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a call is kept.",
)
@click.option(
    "--max-body-bytes",
    default=_DEFAULTS.max_body_bytes,
    show_default=True,
    envvar=ENV_NAMES["max_body_bytes"],
    show_envvar=True,
    type=click.IntRange(1),
    help="Largest request body; a larger one gets 413 and is not kept.",
)
def mock_inference_command(
    host: str,
    port: int,
    token: str | None,
    accuracy: float,
    max_calls: int,
    max_bytes: int,
    max_age: float,
    max_body_bytes: int,
) -> None:
    """Serve the recording mock inference server (OpenAI-compatible chat completions).

    On loopback it is the harness's mock. With --token (or TASKAPP_RECORDER_TOKEN) it
    is the recording relay: a deployed app calls its model side, and the harness reads
    what the app sent with `check URL --recorder http://HOST:PORT --recorder-token T`.
    """
    import uvicorn

    token = token.strip() if token and token.strip() else None
    settings = RelaySettings(max_calls, max_bytes, max_age, max_body_bytes)
    try:
        app = create_relay_app(token=token, settings=settings, accuracy=accuracy, host=host)
    except RelayConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    shown = f"[{host}]" if ":" in host else host
    kind, access = ("relay", "needs the bearer token") if token else ("mock", "open (loopback)")
    click.echo(
        f"recording {kind} on http://{shown}:{port}: model side POST .../chat/completions, "
        f"recordings API {CALLS_PATH} {access}",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
