"""Peak memory and time of `check` against hostile targets (run on demand; prints figures).

Each target is the reference app served on loopback in its own process, except that
GET /info answers with something hostile:

- `plain`: the reference app's own /info (the baseline);
- `200mb`: a 200 MB JSON body, streamed by the server;
- `gzip-1gib`: about 1 MB of gzip that inflates to 1 GiB;
- `endless`: a body that never ends.

`check` runs as a separate process with default options; its peak RSS comes from
`getrusage(RUSAGE_CHILDREN)` of a fresh wrapper process, so each figure is one run's own.
Usage: python bench/bench_hostile.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

KEY = "bench-key-0123456789abcdef"
MODES = ("plain", "200mb", "gzip-1gib", "endless")
_CHUNK = 1 << 20


def _gzip_bomb(inflated: int) -> bytes:
    """gzip of `inflated` zero bytes, built in chunks (about 1 MB for 1 GiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * _CHUNK
    parts = [compressor.compress(zeros) for _ in range(inflated // _CHUNK)]
    return b"".join([*parts, compressor.flush()])


def _serve(mode: str, port: int) -> None:
    """Serve the reference app with a hostile /info until killed."""
    import uvicorn

    from reference_app import build_config, create_app

    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))
    bomb = _gzip_bomb(1 << 30) if mode == "gzip-1gib" else b""

    async def hostile(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/info" or mode == "plain":
            await app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json")]
        if mode == "gzip-1gib":
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if mode == "gzip-1gib":
            await send({"type": "http.response.body", "body": bomb})
            return
        await send({"type": "http.response.body", "body": b'{"x": "', "more_body": True})
        chunk = b"x" * _CHUNK
        # "endless": 64 GiB, more than any reader holds; the server checks for the client
        # leaving, so it does not go on sending into a closed socket.
        total = (64 << 30) if mode == "endless" else 200 * _CHUNK
        sent = 0
        while sent < total:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sent += len(chunk)
            if await _client_left(receive):
                return
        await send({"type": "http.response.body", "body": b'"}'})

    uvicorn.run(hostile, host="127.0.0.1", port=port, log_level="error", lifespan="off")


async def _client_left(receive: Any) -> bool:
    """True once the client has disconnected (checked without waiting)."""
    try:
        message = await asyncio.wait_for(receive(), timeout=0.001)
    except TimeoutError:
        return False
    return bool(message["type"] == "http.disconnect")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the hostile server on port {port} did not start")


_MEASURE = """
import resource, subprocess, sys, time
started = time.monotonic()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(code, time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _check_once(url: str, report: Path) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MiB) of one `check` process."""
    command = [
        sys.executable,
        "-c",
        _MEASURE,
        str(Path(sys.executable).parent / "taskapp-conformance"),
        "check",
        url,
        "--quiet",
        "--json",
        str(report),
    ]
    env = {**os.environ, "ENVIRONMENT_API_KEY": KEY}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    code, seconds, rss_kib = out.split()
    return int(code), float(seconds), int(rss_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per target (median) [3]")
    args = parser.parse_args()
    print(f"check against hostile targets, median of {args.runs} runs each, one process a run")
    print(f"{'target':<10} {'exit':>4} {'EP-4':>6} {'seconds':>8} {'peak RSS MiB':>13}")
    for mode in MODES:
        port = _free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", mode, str(port)])
        try:
            _wait_ready(port)
            runs = []
            with tempfile.TemporaryDirectory() as tmp:
                report = Path(tmp) / "report.json"
                for _ in range(args.runs):
                    runs.append(_check_once(f"http://127.0.0.1:{port}", report))
                outcomes = {c["id"]: c["outcome"] for c in json.loads(report.read_text())["checks"]}
        finally:
            server.kill()
            server.wait()
        code = runs[-1][0]
        seconds = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        print(f"{mode:<10} {code:>4} {outcomes['EP-4']:>6} {seconds:>8.2f} {rss:>13.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
