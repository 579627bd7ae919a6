"""Time building the DAG (a dry run) for growing numbers of inputs.

    python bench/dag_scale.py [--inputs 100 1000 10000] [--timeout 900]
    python bench/dag_scale.py --inputs 100 --profile 30

Each study has N synthetic 12x12 matrices x 10 ranks x 2 regimes in a
temporary copy of the workflow; the dry run's wall time is printed with the
number of jobs and the time per job, so growth is visible. ``--profile K``
runs each dry run under cProfile instead and prints its K most expensive
calls (cumulative time), to see where Snakemake spends it. ``--quiet``
plans the same DAG without printing every job's description (Snakemake's
``--quiet rules``: the table of job counts per rule only). ``--bare`` plans
the floor instead: a Snakefile of ``touch`` rules with the same files and
job counts and none of our code (no config schema, plan, input functions,
params or resource callables), Snakemake's own cost for such a DAG.
``--images`` makes the N inputs 16x16 gray PNG files instead (ranks 1..10,
both regimes), each with its codec sweep, in both studies; that floor's jobs
read and write the workflow's files, job for job (tests/test_bench_floor.py;
the matrices' floor is older: its aggregates have no logs or benchmarks).
"""

import argparse
import io
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def study(workdir, inputs, images=False):
    for name in ("Snakefile", "workflow", "lowrank", "profiles"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    (workdir / "images").mkdir()
    if images:
        write_images(workdir / "images", inputs)
    config = {
        "images": {"directory": "images", "mode": "gray"},
        "ranks": list(range(1, 11)),
        "matrices": {}
        if images
        else {
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


def write_images(folder, count):
    """``count`` 16x16 gray PNGs named synthetic-<i>.png, each different."""
    from PIL import Image

    for index in range(count):
        pixels = bytes((index * 7 + 13 * offset) % 256 for offset in range(256))
        Image.frombytes("L", (16, 16), pixels).save(folder / f"synthetic-{index}.png")


TRAIN_AND_EVALUATE = """
rule train:
    input: "results/inputs/{input}.h5"
    output: directory("results/approximations/{input}/nn-{regime}")
    log: "results/logs/train/{input}/{regime}.log"
    benchmark: "results/benchmarks/train/{input}/{regime}.tsv"
    threads: 2
    shell: "mkdir -p {output}"

rule evaluate:
    input:
        matrix="results/inputs/{input}.h5",
        svd="results/svd/{input}.h5",
        networks=expand("results/approximations/{{input}}/nn-{regime}", regime=REGIMES),
    output:
        table="results/evaluations/{input}.csv",
        errors="results/figures/{input}/errors.svg",
        panels=directory("results/figures/{input}/panels"),
        training=directory("results/figures/{input}/training"),
        views=directory("results/figures/{input}/views"),
    log: "results/logs/evaluate/{input}.log"
    benchmark: "results/benchmarks/evaluate/{input}.tsv"
    shell:
        "touch {output.table} {output.errors};"
        " mkdir -p {output.panels} {output.training} {output.views}"

"""

BARE_SNAKEFILE = (
    """
INPUTS = [f"synthetic-{i}" for i in range(config["inputs"])]
REGIMES = ["paper", "exact"]

rule default:
    input: "results/report/index.html"

rule prepare:
    output: matrix="results/inputs/{input}.h5", svd="results/svd/{input}.h5"
    log: "results/logs/prepare/{input}.log"
    benchmark: "results/benchmarks/prepare/{input}.tsv"
    shell: "touch {output}"

"""
    + TRAIN_AND_EVALUATE
    + """
rule summary:
    input: expand("results/evaluations/{input}.csv", input=INPUTS)
    output: csv="results/summary.csv", hdf="results/summary.h5"
    shell: "touch {output}"

rule paper_tables:
    input: "results/summary.csv"
    output: "results/paper_tables.csv"
    shell: "touch {output}"

rule bd_rates:
    output: "results/rate_distortion/bd_rates.csv"
    shell: "touch {output}"

rule report_page:
    input:
        "results/summary.csv",
        "results/paper_tables.csv",
        "results/rate_distortion/bd_rates.csv",
    output: "results/report/index.html"
    shell: "mkdir -p results/report; touch {output}"
"""
)


# The floor of a study of images: the workflow's rules with the same
# inputs, outputs, logs and benchmarks, job for job (tests/test_bench_floor.py
# holds the two to the same files), and touch commands. Each image's prepare
# reads its file; its codec sweep is read by the summary, the BD-rates and
# the report page, its card by the report page.
BARE_IMAGE_SNAKEFILE = (
    """
INPUTS = [f"synthetic-{i}" for i in range(config["inputs"])]
REGIMES = ["paper", "exact"]
ARGUMENTS = ".snakemake/lowrank/arguments"

rule default:
    input: "results/report", "results/summary.csv", "results/summary.h5"

rule prepare:
    input: "images/{input}.png"
    output: matrix="results/inputs/{input}.h5", svd="results/svd/{input}.h5",
        card="results/inputs/{input}.json"
    log: "results/logs/prepare/{input}.log"
    benchmark: "results/benchmarks/prepare/{input}.tsv"
    shell: "touch {output}"
"""
    + TRAIN_AND_EVALUATE
    + """
rule rate_distortion:
    input: matrix="results/inputs/{input}.h5", svd="results/svd/{input}.h5"
    output: table="results/rate_distortion/{input}.csv",
        figure="results/figures/{input}/rate_distortion.svg"
    log: "results/logs/rate_distortion/{input}.log"
    benchmark: "results/benchmarks/rate_distortion/{input}.tsv"
    threads: 2
    shell: "touch {output}"

rule summary:
    input: f"{ARGUMENTS}/summary.json",
        expand("results/evaluations/{input}.csv", input=INPUTS),
        expand("results/inputs/{input}.h5", input=INPUTS),
        expand("results/rate_distortion/{input}.csv", input=INPUTS)
    output: csv="results/summary.csv", hdf="results/summary.h5"
    log: "results/logs/summary.log"
    benchmark: "results/benchmarks/summary.tsv"
    shell: "touch {output}"

rule paper_tables:
    input: "results/summary.csv", "published.csv"
    output: "results/paper_tables.csv", "results/paper_comparison.csv",
        "results/figures/paper_gap.png", "results/figures/paper_gap.svg"
    log: "results/logs/paper_tables.log"
    benchmark: "results/benchmarks/paper_tables.tsv"
    shell: "touch {output}"

rule bd_rates:
    input: f"{ARGUMENTS}/bd_rates.json",
        expand("results/rate_distortion/{input}.csv", input=INPUTS)
    output: "results/rate_distortion/bd_rates_per_image.csv",
        "results/rate_distortion/bd_rates_aggregate.csv",
        "results/rate_distortion/set_curves.csv",
        "results/figures/rate_distortion_set.svg"
    log: "results/logs/bd_rates.log"
    benchmark: "results/benchmarks/bd_rates.tsv"
    shell: "touch {output}"

rule report_page:
    input: f"{ARGUMENTS}/report_page.json", "results/summary.csv",
        "results/paper_tables.csv", "results/paper_comparison.csv",
        "results/rate_distortion/bd_rates_aggregate.csv",
        "results/rate_distortion/bd_rates_per_image.csv",
        "results/rate_distortion/set_curves.csv",
        "results/figures/rate_distortion_set.svg",
        "results/figures/paper_gap.png",
        expand("results/rate_distortion/{input}.csv", input=INPUTS),
        expand("results/inputs/{input}.json", input=INPUTS)
    output: directory("results/report")
    log: "results/logs/report_page.log"
    benchmark: "results/benchmarks/report_page.tsv"
    shell: "mkdir -p {output}"
"""
)


def bare_study(workdir, inputs, images=False):
    if images:
        (workdir / "images").mkdir()
        write_images(workdir / "images", inputs)
        # What the floor's jobs read besides the images: the published
        # table's stand-in and the aggregates' argument files.
        (workdir / "published.csv").touch()
        folder = workdir / ".snakemake" / "lowrank" / "arguments"
        folder.mkdir(parents=True)
        for step in ("summary", "bd_rates", "report_page"):
            (folder / f"{step}.json").write_text("{}")
    floor = BARE_IMAGE_SNAKEFILE if images else BARE_SNAKEFILE
    (workdir / "Snakefile").write_text(floor)
    (workdir / "config.yaml").write_text(yaml.safe_dump({"inputs": inputs}))


def dry_run(workdir, timeout, profile_path=None, quiet=False):
    profiler = ["-m", "cProfile", "-o", str(profile_path)] if profile_path else []
    start = time.perf_counter()
    used_before = children_cpu_seconds()
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
                *(
                    ["--configfile", "config.yaml"]
                    if (workdir / "config.yaml").exists()
                    else []
                ),
                *(["--quiet", "rules"] if quiet else []),
            ],  # fmt: skip
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, None, None
    seconds = time.perf_counter() - start
    cpu_seconds = children_cpu_seconds() - used_before
    total = re.search(r"^total\s+(\d+)", result.stdout, flags=re.M)
    if result.returncode or not total:
        raise RuntimeError(result.stderr[-3000:])
    return seconds, int(total.group(1)), cpu_seconds


def children_cpu_seconds():
    """CPU seconds (user and system) of the finished child processes: on a
    shared virtual machine steadier than wall time, which counts the time
    a neighbour held the CPU."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
    parser.add_argument(
        "--bare", action="store_true", help="plan the bare-Snakefile floor instead"
    )
    parser.add_argument(
        "--images",
        action="store_true",
        help="16x16 gray PNGs instead of 12x12 matrices (each with a codec sweep)",
    )
    args = parser.parse_args()
    print(
        "| inputs | jobs | dry run s | ms per job | CPU s |\n"
        "| ---: | ---: | ---: | ---: | ---: |"
    )
    for inputs in args.inputs:
        with tempfile.TemporaryDirectory() as folder:
            (bare_study if args.bare else study)(Path(folder), inputs, args.images)
            profile_path = Path(folder, "dry_run.prof") if args.profile else None
            seconds, jobs, cpu_seconds = dry_run(
                Path(folder), args.timeout, profile_path, args.quiet
            )
            if profile_path and profile_path.exists():
                print(hottest_calls(profile_path, args.profile))
        if seconds is None:
            stopped = f"> {args.timeout:.0f} (stopped)"
            print(f"| {inputs} | - | {stopped} | - | - |", flush=True)
            break
        print(
            f"| {inputs} | {jobs} | {seconds:.1f} | {1000 * seconds / jobs:.2f} "
            f"| {cpu_seconds:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
