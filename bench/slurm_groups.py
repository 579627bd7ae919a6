"""sbatch calls of one study through profiles/slurm on a real single-node
SLURM (tests/slurm_cluster.py, needs root and Debian's SLURM packages),
with the profile's groups of prepare and evaluate jobs and without them.

    .venv/bin/python bench/slurm_groups.py > bench/slurm_groups_<rev>.md

The study: 16 uniform 8x8 matrices at rank 2, trained by the exact regime
only, so that the job count, not the work, is what differs. Each run
records every sbatch call (a recording sbatch first on PATH)."""

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from slurm_cluster import (  # noqa: E402
    recording_sbatch,
    single_node_cluster,
    submissions,
    unavailable_reason,
)
from test_workflow import SNAKEMAKE, make_study  # noqa: E402

MEMBERS = 16
CONFIG = {
    "images": {"directory": "resources/images", "mode": "gray", "max_pixels": 10_000},
    "ranks": [2],
    "matrices": {
        "uniform8": {"family": "uniform", "count": MEMBERS, "shape": [8, 8],
                     "seed": 0, "ranks": [2]},
    },
    "methods": ["exact"],
    "architecture": {"design": "paper"},
    "regimes": {"exact": {"max_steps": 200}},
    "training": {"threads": 1},
}  # fmt: skip


def without_groups(study):
    """A copy of the shipped profile with its groups taken out."""
    text = (study / "profiles" / "slurm" / "profile.yaml").read_text()
    kept = text[: text.index("groups:")] + "cores: 8\n"
    folder = study / "profiles" / "ungrouped"
    folder.mkdir()
    (folder / "profile.yaml").write_text(kept)
    return "profiles/ungrouped"


def run(environ, folder, grouped):
    study = make_study(folder, CONFIG)
    profile = "profiles/slurm" if grouped else without_groups(study)
    calls = folder / "sbatch.jsonl"
    stubs = recording_sbatch(folder / "bin", calls)
    environ = {
        **environ,
        "PATH": os.pathsep.join(
            [str(stubs), str(Path(SNAKEMAKE[0]).parent), environ["PATH"]]
        ),
    }
    start = time.monotonic()
    result = subprocess.run(
        [*SNAKEMAKE, "--profile", profile, "--slurm-status-command", "squeue",
         "--slurm-init-seconds-before-status-checks", "1",
         "--set-resources", "train:gpu=0",
         # The node's CPUs: a group job asks for no more.
         "--cores", str(os.cpu_count())],
        cwd=study, env=environ, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    wall = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    # The plugin names a job's rule, or a group's name and rules, in --comment.
    kinds = Counter(comment(arguments) for arguments in submissions(calls))
    return sum(kinds.values()), kinds, wall


def comment(arguments):
    """What one sbatch call submitted: its --comment without wildcards."""
    text = arguments[arguments.index("--comment") + 1]
    return text.split("_wildcards")[0]


def main():
    reason = unavailable_reason()
    if reason:
        raise SystemExit(reason)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        with single_node_cluster(scratch / "slurm") as environ:
            for grouped in (False, True):
                name = "grouped" if grouped else "ungrouped"
                rows.append((name, *run(environ, scratch / name, grouped)))
    print("# sbatch calls with and without the SLURM profile's groups\n")
    print(f"Study: {MEMBERS} uniform 8x8 matrices, rank 2, exact regime only;")
    print("`bench/slurm_groups.py` on a single-node SLURM of this machine.\n")
    print("| profile | sbatch calls | by kind | wall (s) |")
    print("| --- | ---: | --- | ---: |")
    for name, total, kinds, wall in rows:
        by_kind = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        print(f"| {name} | {total} | {by_kind} | {wall:.1f} |")


if __name__ == "__main__":
    main()
