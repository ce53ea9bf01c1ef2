"""Benchmark `validate-jsonl` as a user runs it: whole processes, side by side in one run.

Every figure is one fresh process, timed from outside (wall clock from spawn to exit,
CPU and peak RSS from ``wait4``, so they include ``--jobs`` workers): start-up, imports
and validation, exactly what a user waits for. Variants run round-robin (every variant
sees the same background load) and the median of ``--reps`` is reported.

Two generated corpora (``gen_sft_corpus.py``, cached under ``$TMPDIR/taskapp-bench/``):
``long`` (agentic tool-call records, about 4-5 KB per line) and ``short`` (plain chat,
about 1 KB per line). On each:

* ``synth-ai``      ``validate_jsonl_or_raise(path, min_messages=2)`` of synth-ai 0.2.19, run
                    by an interpreter that has it (this one if it imports, else
                    ``--synth-python`` or ``$TASKAPP_SYNTH_PYTHON``)
* ``ours``          ``taskapp-conformance validate-jsonl PATH`` with default options
                    (``--level strict``, ``--jobs auto``), and ``--level compat``,
                    ``--jobs 1``
* ``parse limit``   a process that splits lines and ``orjson.loads`` each one (and the
                    same over two byte ranges in two processes): no validator can beat it
* ``baseline``      synth-ai's rules in plain stdlib (the test oracle
                    ``tests/jsonl/baseline.py``), when run from a source checkout

Then start-up (``validate-jsonl`` on a one-line file, against ``python -c pass``), and
one 200 MB line (``--line-mb``): time and peak RSS with the default ``--max-line-bytes``
(the line is reported, not parsed), with the limit raised so it is parsed, and synth-ai.
Default run: about 3-5 minutes on 2 cores, plus corpus generation the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from gen_sft_corpus import generate  # noqa: E402 - bench/ is not a package

SYNTH_CODE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from synth_ai.learning.sft.data import validate_jsonl_or_raise\n"
    "validate_jsonl_or_raise(Path(sys.argv[1]), min_messages=2)\n"
)
SYNTH_INVALID_OK_CODE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from synth_ai.learning.sft.data import validate_jsonl_or_raise\n"
    "try:\n"
    "    validate_jsonl_or_raise(Path(sys.argv[1]), min_messages=2)\n"
    "except ValueError as exc:\n"
    "    print(str(exc).splitlines()[-1])\n"
)
PARSE_CODE = """
import sys, orjson
def parse(path, start, end):
    loads, carry = orjson.loads, b""
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            block = handle.read(min(262144, left))
            if not block:
                break
            left -= len(block)
            lines = (carry + block).split(b"\\n")
            carry = lines.pop()
            for line in lines:
                if line:
                    loads(line)
    if carry:
        loads(carry)
path, jobs = sys.argv[1], int(sys.argv[2])
if jobs == 1:
    import os
    parse(path, 0, os.path.getsize(path))
else:
    import multiprocessing, os
    from pathlib import Path
    from conformance.jsonl.parallel import split_ranges
    ranges = split_ranges(Path(path), os.path.getsize(path), jobs)
    with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
        pool.starmap(parse, [(path, s, e) for s, e in ranges])
"""
BASELINE_CODE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from tests.jsonl.baseline import validate_jsonl_or_raise\n"
    "validate_jsonl_or_raise(Path(sys.argv[1]), min_messages=2)\n"
)


@dataclass(frozen=True)
class Run:
    """One finished process."""

    wall: float
    cpu: float
    rss_mib: float
    code: int
    stdout: str


def run_process(command: list[str]) -> Run:
    """Run ``command`` to its end; wall time, and CPU and peak RSS of it and its workers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    assert process.stdout is not None
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, stdout
    )


def ours_command() -> list[str]:
    """The installed ``taskapp-conformance`` script beside this interpreter (or its module)."""
    script = Path(sys.executable).parent / "taskapp-conformance"
    if script.exists():
        return [str(script)]
    found = shutil.which("taskapp-conformance")
    if found:
        return [found]
    return [sys.executable, "-c", "from conformance.cli import main; main()"]


def find_synth_python(explicit: str | None) -> str | None:
    """An interpreter that can import synth-ai's validator, or None."""
    candidates = [explicit, os.environ.get("TASKAPP_SYNTH_PYTHON"), sys.executable]
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import synth_ai.learning.sft.data"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return candidate
    return None


def _has_baseline() -> bool:
    probe = [sys.executable, "-c", "import tests.jsonl.baseline"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(probe, capture_output=True, env=env, check=False).returncode == 0


@dataclass(frozen=True)
class Variant:
    """One timed command; ``{path}`` in it is replaced by the corpus."""

    key: str
    label: str
    command: tuple[str, ...]
    expect: int = 0


def variants(synth_python: str | None) -> list[Variant]:
    """Every variant available on this machine, in table order."""
    ours = (*ours_command(), "validate-jsonl")
    parse = (sys.executable, "-c", PARSE_CODE, "{path}")
    compat = ("--level", "compat")
    rows = [
        Variant("parse-1", "parse limit: orjson.loads every line", (*parse, "1")),
        Variant("parse-2", "parse limit: 2 processes", (*parse, "2")),
        Variant("ours", "ours, default (strict, --jobs auto)", (*ours, "{path}")),
        Variant("ours-compat", "ours --level compat (--jobs auto)", (*ours, *compat, "{path}")),
        Variant("ours-j1", "ours --jobs 1 (strict)", (*ours, "-j", "1", "{path}")),
        Variant(
            "ours-compat-j1", "ours --level compat --jobs 1", (*ours, *compat, "-j", "1", "{path}")
        ),
    ]
    if _has_baseline():
        command = (sys.executable, "-c", BASELINE_CODE, "{path}")
        rows.append(Variant("baseline", "stdlib baseline of synth-ai's rules", command))
    if synth_python:
        command = (synth_python, "-c", SYNTH_CODE, "{path}")
        rows.append(Variant("synth-ai", "synth-ai 0.2.19 validate_jsonl_or_raise", command))
    return rows


def _command(variant: Variant, path: Path) -> list[str]:
    return [str(path) if part == "{path}" else part for part in variant.command]


def time_corpora(
    corpora: dict[str, Path], rows: list[Variant], reps: int
) -> dict[tuple[str, str], list[Run]]:
    """Run every variant on every corpus ``reps`` times, round-robin."""
    runs: dict[tuple[str, str], list[Run]] = {}
    for rep in range(reps):
        for kind, path in corpora.items():
            for variant in rows:
                run = run_process(_command(variant, path))
                if run.code != variant.expect:
                    raise SystemExit(f"{variant.key} on {path} exited {run.code}:\n{run.stdout}")
                runs.setdefault((kind, variant.key), []).append(run)
        print(f"  repetition {rep + 1}/{reps} done", flush=True)
    return runs


def print_table(
    corpora: dict[str, Path], rows: list[Variant], runs: dict[tuple[str, str], list[Run]]
) -> None:
    """Median wall seconds, MB/s and the ratio to synth-ai per corpus; CPU as a check."""
    reference = "synth-ai" if any(v.key == "synth-ai" for v in rows) else None
    for kind, path in corpora.items():
        mb = path.stat().st_size / 1e6
        lines = sum(1 for _ in path.open("rb"))
        per_line = mb * 1e6 / lines
        print(f"\n{kind} corpus: {path} ({mb:.1f} MB, {lines:,} lines, {per_line:,.0f} B/line)")
        header = ("variant", "wall s", "MB/s", "x synth", "cpu s", "x synth", "RSS MiB")
        print("{:46s} {:>7s} {:>6s} {:>7s} {:>6s} {:>7s} {:>8s}".format(*header))
        ref_wall = statistics.median(r.wall for r in runs[(kind, reference)]) if reference else None
        ref_cpu = statistics.median(r.cpu for r in runs[(kind, reference)]) if reference else None
        for variant in rows:
            got = runs[(kind, variant.key)]
            wall = statistics.median(r.wall for r in got)
            cpu = statistics.median(r.cpu for r in got)
            rss = max(r.rss_mib for r in got)
            ratio = f"{ref_wall / wall:.1f}x" if ref_wall else "-"
            cpu_ratio = f"{ref_cpu / cpu:.1f}x" if ref_cpu else "-"
            print(
                f"{variant.label:46s} {wall:7.2f} {mb / wall:6.0f} {ratio:>7s} "
                f"{cpu:6.2f} {cpu_ratio:>7s} {rss:8.0f}"
            )


CRITICAL_PATH_CODE = """
import json, resource, sys
from conformance.cli import main
from conformance.jsonl.api import auto_jobs
import os
try:
    main(["validate-jsonl", sys.argv[1]])
except SystemExit:
    pass
own = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "own": own.ru_utime + own.ru_stime,
    "workers": workers.ru_utime + workers.ru_stime,
    "jobs": auto_jobs(os.path.getsize(sys.argv[1])),
}))
"""


def critical_path(
    corpora: dict[str, Path], runs: dict[tuple[str, str], list[Run]], reps: int
) -> None:
    """Default options on an idle machine, estimated from CPU: the parent's CPU plus one
    worker's share (the ranges are equal byte ranges of similar records)."""
    print("\ndefault options, idle-machine wall estimate = parent CPU + workers' CPU / jobs:")
    for kind, path in corpora.items():
        estimates = []
        for _ in range(reps):
            run = run_process([sys.executable, "-c", CRITICAL_PATH_CODE, str(path)])
            got = json.loads(run.stdout.strip().splitlines()[-1])
            workers = got["workers"] / got["jobs"] if got["jobs"] > 1 else 0.0
            estimates.append((got["own"] + workers, got["jobs"]))
        estimate = statistics.median(value for value, _ in estimates)
        synth = runs.get((kind, "synth-ai"))
        ratio = ""
        if synth:
            synth_cpu = statistics.median(r.cpu for r in synth)
            ratio = f" vs synth-ai's {synth_cpu:.2f} s CPU (1 process): {synth_cpu / estimate:.1f}x"
        print(f"  {kind:6s} --jobs auto = {estimates[0][1]}: {estimate:.2f} s{ratio}")


def startup(reps: int, synth_python: str | None) -> None:
    """Whole-process wall time of validate-jsonl on a one-line file, vs a bare interpreter."""
    small = Path(tempfile.gettempdir()) / "taskapp-bench" / "one-line.jsonl"
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_bytes(
        b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}\n'
    )
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "taskapp-conformance --version": [*ours_command(), "--version"],
        "taskapp-conformance validate-jsonl one-line.jsonl": [
            *ours_command(),
            "validate-jsonl",
            str(small),
        ],
    }
    if synth_python:
        code = "from synth_ai.learning.sft.data import validate_jsonl_or_raise"
        commands["synth-ai: import its validator"] = [synth_python, "-c", code]
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(reps):
        for name, command in commands.items():
            runs[name].append(run_process(command))
    print("\nstart-up (whole process; target < 150 ms wall for validate-jsonl):")
    for name, got in runs.items():
        walls = [run.wall for run in got]
        cpu = statistics.median(run.cpu for run in got)
        print(
            f"  {name:52s} wall median {1000 * statistics.median(walls):4.0f} ms, "
            f"min {1000 * min(walls):4.0f} ms; CPU median {1000 * cpu:4.0f} ms ({reps} runs)"
        )


def one_line(size_mb: int, synth_python: str | None, reps: int) -> None:
    """Time and peak RSS on a file whose first line is ``size_mb`` MB, then a short bad line."""
    path = Path(tempfile.gettempdir()) / "taskapp-bench" / f"one-line-{size_mb}mb.jsonl"
    size = size_mb * 1_000_000
    if not path.exists() or path.stat().st_size < size:
        head = b'{"messages":[{"role":"user","content":"'
        tail = b'"},{"role":"assistant","content":"ok"}]}\n'
        with path.open("wb") as handle:
            handle.write(head)
            filler = b"x" * (1 << 20)
            left = size - len(head) - len(tail)
            while left > 0:
                handle.write(filler[: min(left, len(filler))])
                left -= len(filler)
            handle.write(tail)
            handle.write(b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant"}]}\n')
    ours = ours_command()
    raised = f"{(size_mb * 1_000_000 >> 20) + 64}MiB"
    validate = [*ours, "validate-jsonl"]
    limit = ["--max-line-bytes", raised]
    cases = {
        "ours, default --max-line-bytes (SFT-LINE, not parsed)": [*validate, str(path)],
        f"ours --max-line-bytes {raised} (parsed)": [*validate, *limit, str(path)],
        f"ours --max-line-bytes {raised} --level compat": [
            *validate,
            *["--level", "compat", *limit, str(path)],
        ],
    }
    if synth_python:
        command = [synth_python, "-c", SYNTH_INVALID_OK_CODE, str(path)]
        cases["synth-ai 0.2.19 validate_jsonl_or_raise"] = command
    runs: dict[str, list[Run]] = {name: [] for name in cases}
    for _ in range(reps):
        for name, command in cases.items():
            runs[name].append(run_process(command))
    mb = path.stat().st_size / 1e6
    print(
        f"\none {size_mb} MB line, then an invalid short one ({mb:.0f} MB file), median of {reps}:"
    )
    for name, got in runs.items():
        first = got[0].stdout.splitlines()
        verdict = next((line for line in first if line.startswith(str(path) + ":")), "")
        print(
            f"  {name:52s} {statistics.median(r.wall for r in got):6.2f} s wall, "
            f"{statistics.median(r.cpu for r in got):6.2f} s CPU, "
            f"peak RSS {max(r.rss_mib for r in got):6.0f} MiB"
        )
        if verdict:
            print(f"    {verdict[len(str(path)) :][:110]}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--long-mb", type=int, default=200, help="long corpus MB (default 200)")
    parser.add_argument("--short-mb", type=int, default=100, help="short corpus MB (default 100)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--line-mb", type=int, default=200, help="one-line case MB (0 skips)")
    parser.add_argument("--synth-python", default=None, help="python with synth-ai==0.2.19")
    parser.add_argument("--only", default=None, help="comma-separated variant keys")
    args = parser.parse_args()

    corpora = {
        "long": generate(args.long_mb, kind="long"),
        "short": generate(args.short_mb, kind="short"),
    }
    synth_python = find_synth_python(args.synth_python)
    rows = variants(synth_python)
    if args.only:
        wanted = set(args.only.split(","))
        rows = [v for v in rows if v.key in wanted or v.key == "synth-ai"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"{len(rows)} variants x {len(corpora)} corpora, median of {args.reps}; usable cpus={cpus}"
    )
    print(f"synth-ai: {synth_python or 'not found (no ratios)'}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine skews wall)")
    runs = time_corpora(corpora, rows, args.reps)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("\nwall = spawn to exit; cpu = user+sys of the process and its workers (robust to")
    print("load for 1-process variants); RSS = peak of the process or its largest worker.")
    print_table(corpora, rows, runs)
    critical_path(corpora, runs, args.reps)
    startup(max(10, args.reps), synth_python)
    if args.line_mb:
        one_line(args.line_mb, synth_python, max(1, min(3, args.reps)))


if __name__ == "__main__":
    main()
