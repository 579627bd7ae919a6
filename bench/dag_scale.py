"""Time building the DAG (a dry run) for growing numbers of inputs.

    python bench/dag_scale.py [--inputs 100 1000 10000] [--timeout 900]
    python bench/dag_scale.py --inputs 100 --profile 30

Each study has N synthetic 12x12 matrices x 10 ranks x 2 regimes in a
temporary copy of the workflow; the dry run's wall time is printed with the
number of jobs and the time per job, so growth is visible. ``--profile K``
runs each dry run under cProfile instead and prints its K most expensive
calls (cumulative time), to see where Snakemake spends it. ``--quiet``
plans the same DAG without printing every job's description (Snakemake's
``--quiet rules``: the table of job counts per rule only).
"""

import argparse
import io
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def study(workdir, inputs):
    for name in ("Snakefile", "workflow", "lowrank", "profiles"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    (workdir / "images").mkdir()
    config = {
        "images": {"directory": "images"},
        "ranks": [1],
        "matrices": {
            "synthetic": {
                "family": "uniform",
                "count": inputs,
                "shape": [12, 12],
                "seed": 0,
                "ranks": list(range(1, 11)),
            }
        },
        "methods": ["paper", "exact"],
        "regimes": {"paper": {}, "exact": {}},
    }
    (workdir / "config").mkdir()
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))


def dry_run(workdir, timeout, profile_path=None, quiet=False):
    profiler = ["-m", "cProfile", "-o", str(profile_path)] if profile_path else []
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [
                sys.executable,
                *profiler,
                "-m",
                "snakemake",
                "--dry-run",
                "--cores",
                "1",
                *(["--quiet", "rules"] if quiet else []),
            ],  # fmt: skip
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, None
    seconds = time.perf_counter() - start
    total = re.search(r"^total\s+(\d+)", result.stdout, flags=re.M)
    if result.returncode or not total:
        raise RuntimeError(result.stderr[-3000:])
    return seconds, int(total.group(1))


def hottest_calls(path, count):
    text = io.StringIO()
    pstats.Stats(str(path), stream=text).sort_stats("cumulative").print_stats(count)
    return text.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--profile", type=int, metavar="K", default=0)
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="plan without printing every job (snakemake --quiet rules)",
    )
    args = parser.parse_args()
    print("| inputs | jobs | dry run s | ms per job |\n| ---: | ---: | ---: | ---: |")
    for inputs in args.inputs:
        with tempfile.TemporaryDirectory() as folder:
            study(Path(folder), inputs)
            profile_path = Path(folder, "dry_run.prof") if args.profile else None
            seconds, jobs = dry_run(
                Path(folder), args.timeout, profile_path, args.quiet
            )
            if profile_path and profile_path.exists():
                print(hottest_calls(profile_path, args.profile))
        if seconds is None:
            print(f"| {inputs} | - | > {args.timeout:.0f} (stopped) | - |", flush=True)
            break
        print(
            f"| {inputs} | {jobs} | {seconds:.1f} | {1000 * seconds / jobs:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
