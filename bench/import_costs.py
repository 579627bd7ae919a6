"""What a process start and the heavy imports cost a job on this machine.

    python bench/import_costs.py [--runs 3] [--out bench/import_costs.md]

Each line runs in a fresh interpreter (this virtual environment's Python,
``OMP_NUM_THREADS=1`` as Snakemake gives a one-thread job) and is timed as a
whole process, wall clock; the table gives the median and range over
``--runs`` runs. Compare rows within one run only: the machine's load moves
them all.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROGRAMS = {
    "an empty Python": "pass",
    "the training job's imports": "import lowrank.training.job",
    "the evaluate job's imports": "import lowrank.evaluation.job",
    "Keras with TensorFlow (lowrank.training.backend)": (
        "from lowrank.training.backend import keras; keras.ops.zeros(1)"
    ),
    "Snakemake's script wrapper": "import snakemake.script",
}


def wall_seconds(program, runs):
    environ = {**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", program], check=True, env=environ)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="bench/import_costs.md")
    args = parser.parse_args()
    lines = [
        "# Process starts and imports "
        f"(`python bench/import_costs.py --runs {args.runs}`)",
        "",
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} processors.",
        "",
        "| process | median wall s | range s |",
        "| --- | ---: | ---: |",
    ]
    for name, program in PROGRAMS.items():
        times = wall_seconds(program, args.runs)
        lines.append(
            f"| {name} | {statistics.median(times):.2f} | "
            f"{min(times):.2f}-{max(times):.2f} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
