"""Time both training regimes on fixed problems, for this checkout and a baseline.

    python bench/training_speed.py [--baseline REV] [--ratios 0.5 0.9 0.99 0.999]

Problems:
- ``paper``: 10,000 Gaussian samples x 10 epochs at batch 32 (3,130 Adam
  steps) on a uniform 10 x 10 matrix at rank 4 and on a 512 x 512 matrix with
  the spectrum below at rank 50; mean |delta| over the 10 x 10 matrices of a
  uniform set at ranks 1-9 as a check that the numbers did not move.
- ``exact``: 512 x 512 matrices A = U diag(s) V^T (random orthogonal U, V)
  whose singular values fall by 3 % per index except one step
  s_51 / s_50 = ratio, at rank 50, for each ``--ratios`` value: iterations,
  sweeps, seconds and delta = rel. 2-norm error minus the SVD's.

- ``job``: what a training job does, in a fresh process: ``train_ranks``
  of the paper regime over ranks 1-9 of a uniform 10 x 10 matrix (the
  seconds of each rank's record), so that compilations shared between the
  ranks of a job show.

Each revision runs in its own process (``--baseline REV`` checks REV out in a
temporary git worktree), one after the other in one invocation, so that the
two sets of figures come from the same machine state. Times are training wall
times inside the process (compilation included), as recorded in
``train_seconds``; a second 10 x 10 training in the same process (another rank)
shows what a job pays per rank once the backend is warm, and a third (the
same rank of another 10 x 10 matrix) what it pays when shapes repeat.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def delta_2(a, s, b, rank):
    import numpy as np

    return float(np.linalg.norm(a - b, 2) / s[0] - s[rank] / s[0])


def write_problems(path, ratios):
    """Save every input matrix once, so that all revisions train the same ones."""
    import numpy as np

    from lowrank.inputs.matrices import build_members, gapped_spectrum_matrix

    rng = np.random.default_rng(3)
    spec = {"family": "uniform", "count": 4, "shape": [10, 10], "seed": 0}
    problems = {
        "small": rng.uniform(size=(10, 10)),
        "twin": rng.uniform(size=(10, 10)),
        "random10": np.stack(build_members("random10", spec)),
    }
    for name, ratio in [("big", 0.9)] + [(f"exact {r}", r) for r in ratios]:
        problems[name], problems[f"{name} s"] = gapped_spectrum_matrix(512, 50, ratio)
    np.savez(path, **problems)


def measure(path):
    """Train on the problems in ``path`` with the ``lowrank`` on sys.path."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    started = time.perf_counter()
    # What a training process pays to import Keras, measured apart from
    # training (from session 9 without Keras' optional matplotlib and pandas).
    import lowrank.training.train  # noqa: F401

    results = {"import_seconds": time.perf_counter() - started}
    from lowrank.decomposition.svd import thin_svd

    try:
        from lowrank.training.regimes import ExactRegime, PaperRegime
    except ImportError:  # revisions before lowrank.training.regimes
        from lowrank.training.train import ExactRegime, PaperRegime
    from lowrank.training.train import train

    problems = dict(np.load(path))
    small, twin = problems["small"], problems["twin"]
    results["paper_10x10"] = [
        train(matrix, rank, PaperRegime()).seconds
        for matrix, rank in ((small, 4), (small, 5), (twin, 5))
    ]
    big, s = problems["big"], problems["big s"]
    result = train(big, 50, PaperRegime())
    results["paper_512_rank50"] = [result.seconds, delta_2(big, s, result.matrix, 50)]
    gaps = []
    for member in problems["random10"]:
        d = thin_svd(member)
        for rank in range(1, 10):
            b = train(member, rank, PaperRegime()).matrix
            error = np.linalg.norm(member - b, 2) / d.s[0]
            gaps.append(error - d.error_2(rank) / d.s[0])
    results["paper_random10_mean_gap"] = float(np.mean(gaps))
    results["exact"] = {}
    for name in sorted(key for key in problems if key.startswith("exact ")):
        if name.endswith(" s"):
            continue
        a, s = problems[name], problems[f"{name} s"]
        result = train(a, 50, ExactRegime(max_steps=20_000))
        results["exact"][name.removeprefix("exact ")] = {
            "iterations": result.steps,
            "seconds": result.seconds,
            "delta": delta_2(a, s, result.matrix, 50),
            "converged": result.converged,
        }
    return results


def measure_job(path):
    """Seconds per rank of one paper-regime training job, ranks 1-9."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    from lowrank.records import (
        InputMatrix,
        network_record_path,
        read_record,
        write_matrix,
    )
    from lowrank.training.train import train_ranks

    folder = Path(path).parent / "job"
    folder.mkdir(exist_ok=True)
    matrix = dict(np.load(path))["twin"][None]
    write_matrix(folder / "m.h5", InputMatrix(matrix, "m", "uniform", "bench", "m"))
    ranks = list(range(1, 10))
    for _ in train_ranks(folder / "m.h5", ranks, "paper", {}, folder):
        pass
    seconds = [read_record(network_record_path(folder, r)).seconds for r in ranks]
    return {"paper_10x10_job": seconds}


def run_revision(root, problems):
    results = {}
    for flag in ("--measure", "--measure-job"):
        command = [sys.executable, __file__, flag, str(problems)]
        environ = {**os.environ, "PYTHONPATH": str(root)}
        result = subprocess.run(
            command, cwd=root, env=environ, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"{root}: measurement failed:\n{result.stderr[-3000:]}")
        results |= json.loads(result.stdout.strip().splitlines()[-1])
    return results


def print_table(rows):
    names = list(rows)
    print("| figure | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    any_row = rows[names[0]]
    lines = [
        ("lowrank.training.train import, s", lambda r: f"{r['import_seconds']:.2f}"),
        ("paper 10x10 r4, first training, s", lambda r: f"{r['paper_10x10'][0]:.2f}"),
        ("paper 10x10 r5, warm process, s", lambda r: f"{r['paper_10x10'][1]:.2f}"),
        (
            "paper 10x10 r5, another matrix of that shape, s",
            lambda r: f"{r['paper_10x10'][2]:.2f}",
        ),
        (
            "paper 10x10 job, ranks 1-9: first rank / mean of the others / total, s",
            lambda r: "{:.2f} / {:.2f} / {:.2f}".format(
                r["paper_10x10_job"][0],
                sum(r["paper_10x10_job"][1:]) / 8,
                sum(r["paper_10x10_job"]),
            ),
        ),
        ("paper 512x512 r50, s", lambda r: f"{r['paper_512_rank50'][0]:.2f}"),
        ("paper 512x512 r50, delta", lambda r: f"{r['paper_512_rank50'][1]:.4f}"),
        (
            "paper random10 mean gap r1-9",
            lambda r: f"{r['paper_random10_mean_gap']:.4f}",
        ),
    ]
    for ratio in any_row["exact"]:
        lines.append(
            (
                f"exact 512 r50 ratio {ratio}: iterations / s / delta",
                lambda r, q=ratio: (
                    "{iterations} / {seconds:.2f} / {delta:.1e}".format(**r["exact"][q])
                    + ("" if r["exact"][q]["converged"] else " (not converged)")
                ),
            )
        )
    for label, cell in lines:
        print(f"| {label} | " + " | ".join(cell(rows[n]) for n in names) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare against")
    parser.add_argument(
        "--ratios", type=float, nargs="+", default=[0.5, 0.9, 0.99, 0.999]
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--measure-job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.measure_job:
        print(json.dumps(measure_job(args.measure_job)))
        return
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        problems = Path(folder) / "problems.npz"
        write_problems(problems, args.ratios)
        if args.baseline:
            tree = Path(folder) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(tree), args.baseline],
                cwd=REPO, check=True, capture_output=True,
            )  # fmt: skip
            try:
                rows[f"baseline {args.baseline}"] = run_revision(tree, problems)
            finally:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(tree)], cwd=REPO
                )
        rows["this checkout"] = run_revision(REPO, problems)
    print_table(rows)


if __name__ == "__main__":
    main()
