"""Benchmark the SFT JSONL validator against the JSON parse limit, a stdlib baseline and synth-ai.

One run times, side by side on the same generated corpus (``gen_sft_corpus.py``, cached
under ``$TMPDIR/taskapp-bench/``), each variant in a fresh subprocess, the median of
``--reps`` repetitions:

* ``parse orjson``      split lines + ``orjson.loads`` of every line: the physical limit
* ``parse orjson x2``   the same over two halves in two processes: the limit for --jobs 2
* ``parse json``        text-mode lines + ``json.loads`` (what synth-ai pays to parse)
* ``ours compat/strict, 1 and 2 jobs``   ``conformance.jsonl.validate_file``
* ``baseline``          ``conformance.jsonl.baseline``: synth-ai's rules in plain stdlib
* ``synth-ai``          ``synth_ai.learning.sft.data.validate_jsonl_or_raise`` (min 2), run
                        by an interpreter that has ``synth-ai==0.2.19`` (this one if it
                        imports, else ``--synth-python`` or ``$TASKAPP_SYNTH_PYTHON``)

It prints MB/s, the ratio to synth-ai (or to the baseline when synth-ai is absent), the
percentage of the parse limit, and the peak RSS of our validator on a ``--big-mb`` file
(1 GB by default; 0 skips it). Default run: about 2-4 minutes on 2 cores, plus corpus
generation the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from gen_sft_corpus import generate  # noqa: E402 - bench/ is not a package

SYNTH_CODE = (
    "import sys, time, json, resource\n"
    "from pathlib import Path\n"
    "from synth_ai.learning.sft.data import validate_jsonl_or_raise\n"
    "cpu = time.process_time()\n"
    "start = time.perf_counter()\n"
    "validate_jsonl_or_raise(Path(sys.argv[1]), min_messages=2)\n"
    "elapsed = time.perf_counter() - start\n"
    "print(json.dumps({'seconds': elapsed, 'cpu_seconds': time.process_time() - cpu,"
    " 'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
)


@dataclass(frozen=True)
class Variant:
    """One timed configuration."""

    key: str
    label: str
    jobs: int


VARIANTS = [
    Variant("parse-orjson", "parse: orjson.loads every line (limit)", 1),
    Variant("parse-orjson-x2", "parse: orjson.loads, 2 processes (limit)", 2),
    Variant("parse-json", "parse: json.loads every line (text mode)", 1),
    Variant("ours-compat-1", "ours --level compat --jobs 1", 1),
    Variant("ours-strict-1", "ours --level strict --jobs 1", 1),
    Variant("ours-compat-2", "ours --level compat --jobs 2", 2),
    Variant("ours-strict-2", "ours --level strict --jobs 2", 2),
    Variant("baseline", "stdlib baseline of synth-ai's rules", 1),
    Variant("synth-ai", "synth-ai 0.2.19 validate_jsonl_or_raise", 1),
]


def _parse_range(path: str, start: int, end: int) -> int:
    import orjson

    from conformance.jsonl.engine import iter_file_blocks

    count = 0
    carry = b""
    with open(path, "rb", buffering=0) as handle:
        for raw in iter_file_blocks(handle, start, end):
            block = carry + raw if carry else raw
            lines = block.split(b"\n")
            carry = lines.pop()
            for line in lines:
                if line:
                    orjson.loads(line)
                    count += 1
    return count


def run_variant(key: str, path: str) -> float:
    """Run one variant in this process; return elapsed seconds."""
    start = time.perf_counter()
    if key == "parse-orjson":
        _parse_range(path, 0, os.path.getsize(path))
    elif key == "parse-orjson-x2":
        import multiprocessing

        from conformance.jsonl.parallel import split_ranges

        ranges = split_ranges(Path(path), os.path.getsize(path), 2)
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            pool.starmap(_parse_range, [(path, s, e) for s, e in ranges])
    elif key == "parse-json":
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                stripped = line.strip()
                if stripped:
                    json.loads(stripped)
    elif key.startswith("ours-"):
        from conformance.jsonl import validate_file

        _, level, jobs = key.split("-")
        report = validate_file(path, level=level, jobs=int(jobs))  # type: ignore[arg-type]
        if not report.ok:
            raise SystemExit(f"corpus unexpectedly invalid: {report.errors[:3]}")
    elif key == "baseline":
        from conformance.jsonl.baseline import validate_jsonl_or_raise

        validate_jsonl_or_raise(Path(path), min_messages=2)
    else:
        raise SystemExit(f"unknown variant {key}")
    return time.perf_counter() - start


def _child_main(key: str, path: str) -> None:
    cpu = time.process_time()
    seconds = run_variant(key, path)
    cpu_seconds = time.process_time() - cpu
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "rss_kb": own,
                "workers_rss_kb": workers,
            }
        )
    )


def _measure(key: str, path: Path, synth_python: str | None) -> dict[str, float]:
    if key == "synth-ai":
        assert synth_python is not None
        command = [synth_python, "-c", SYNTH_CODE, str(path)]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", key, str(path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{key} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


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


def _rss_report(big: Path) -> list[str]:
    lines = []
    for key in ("ours-strict-1", "ours-compat-1", "ours-compat-2"):
        result = _measure(key, big, None)
        mb = big.stat().st_size / 1e6
        line = (
            f"  {key:15s} on {mb:,.0f} MB: peak RSS {result['rss_kb'] / 1024:.1f} MiB"
            f" ({mb / result['seconds']:.0f} MB/s)"
        )
        if key.endswith("-2"):
            line += f", each worker <= {result['workers_rss_kb'] / 1024:.1f} MiB"
        lines.append(line)
    return lines


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=200, help="corpus size (default 200)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per variant (default 3)")
    parser.add_argument(
        "--big-mb", type=int, default=1024, help="file size for the RSS run (default 1024; 0 skips)"
    )
    parser.add_argument("--synth-python", default=None, help="python with synth-ai==0.2.19")
    parser.add_argument(
        "--only", default=None, help="comma-separated variant keys (default: all available)"
    )
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_main(*args.child)
        return

    corpus = generate(args.size_mb)
    size_mb = corpus.stat().st_size / 1e6
    synth_python = find_synth_python(args.synth_python)
    variants = [v for v in VARIANTS if v.key != "synth-ai" or synth_python]
    if args.only:
        wanted = set(args.only.split(","))
        variants = [v for v in variants if v.key in wanted]
    print(f"corpus: {corpus} ({size_mb:.1f} MB); median of {args.reps} runs; cpus={os.cpu_count()}")
    print(f"synth-ai: {synth_python or 'not found (ratios are vs the stdlib baseline)'}")
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine skews figures)"
    )
    times: dict[str, list[float]] = {variant.key: [] for variant in variants}
    cpu_times: dict[str, list[float]] = {variant.key: [] for variant in variants}
    for rep in range(args.reps):
        # Round-robin so every variant sees the same background load.
        for variant in variants:
            result = _measure(variant.key, corpus, synth_python)
            times[variant.key].append(result["seconds"])
            cpu_times[variant.key].append(result["cpu_seconds"])
        print(f"  repetition {rep + 1}/{args.reps} done", flush=True)
    speeds = {key: size_mb / statistics.median(values) for key, values in times.items()}
    cpu_speeds = {key: size_mb / statistics.median(values) for key, values in cpu_times.items()}
    print(f"load average after: {os.getloadavg()[0]:.2f}")

    reference = "synth-ai" if "synth-ai" in speeds else "baseline"
    print()
    print("wall = elapsed time; cpu = MB per CPU-second of the measuring process (1-process")
    print("variants only: it is what wall would be on an idle core, so it is robust to load).")
    header = f"{'variant':42s} {'wall MB/s':>9s} {'vs ' + reference:>11s} {'% limit':>8s}"
    print(f"{header} {'cpu MB/s':>9s} {'vs ' + reference:>11s} {'% limit':>8s}")
    for variant in variants:
        row = f"{variant.label:42s}"
        for table, one_process_only in ((speeds, False), (cpu_speeds, True)):
            if one_process_only and variant.jobs > 1:
                row += f" {'-':>9s} {'-':>11s} {'-':>8s}"
                continue
            speed = table[variant.key]
            ratio = f"{speed / table[reference]:.1f}x" if reference in table else "-"
            limit_key = "parse-orjson-x2" if variant.jobs == 2 else "parse-orjson"
            limit = f"{100 * speed / table[limit_key]:.0f}%" if limit_key in table else "-"
            row += f" {speed:9.1f} {ratio:>11s} {limit:>8s}"
        print(row)
    if args.big_mb:
        print()
        print("peak RSS (ru_maxrss of a fresh process):")
        for line in _rss_report(generate(args.big_mb)):
            print(line)


if __name__ == "__main__":
    main()
