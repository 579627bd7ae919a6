"""Which unstated set-up reproduces Bleckel's figures? Variants of the paper regime.

    python bench/paper_variants.py [--members 10] [--out bench/paper_variants.md]
    python bench/paper_variants.py --batch-sizes 32 64 96 128 [--out FILE]

The paper states its layer widths (n -> n -> k -> n), he_normal, the MSE and
10,000 vectors x 10 epochs; it does not state the distribution of the
training vectors, whether layers have biases, the optimizer, its learning rate
or the batch size, nor how it made its random matrices symmetric. This
trains every combination of ``inputs`` (gaussian, uniform) and ``use_bias``
(Adam 1e-3, batch 32 throughout) on the sets of Figures 10 and 12, with the
symmetric set made from the same draws R in four ways (upper triangle
mirrored, (R + R^T) / 2, R + R^T, R R^T), and on identity(50)
and diag(0..49) at rank 20 (Figures 6 and 8). It prints, per variant, the mean
and standard deviation of |delta| per rank beside the published values
(``lowrank.report.paper``), and the largest miss at ranks 2-9. ``--batch-sizes``
instead trains our default (uniform inputs, no biases) at each batch size on
the random set and the mirrored symmetric set: the same 100,000 samples
make fewer, larger steps.
"""

import argparse
import dataclasses
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from lowrank.decomposition.svd import thin_svd  # noqa: E402
from lowrank.inputs.matrices import build_members  # noqa: E402
from lowrank.report.paper import published_gaps  # noqa: E402
from lowrank.training.regimes import PaperRegime  # noqa: E402
from lowrank.training.train import train  # noqa: E402

VARIANTS = [
    ("gaussian", True),
    ("gaussian", False),
    ("uniform", True),
    ("uniform", False),
]


def matrix_sets(members):
    uniform = build_members(
        "random10",
        {"family": "uniform", "count": members, "shape": [10, 10], "seed": 0},
    )
    symmetric = {"family": "symmetric", "count": members, "n": 10, "seed": 1}
    upper = build_members("symmetric10", {**symmetric, "symmetrize": "upper"})
    halves = build_members("symmetric10", {**symmetric, "symmetrize": "mean"})
    draws = build_members(  # the R that the two above symmetrize
        "draws", {"family": "uniform", "count": members, "shape": [10, 10], "seed": 1}
    )
    return {
        "random10": (uniform, "random10"),
        "symmetric10 upper triangle mirrored": (upper, "symmetric10"),
        "symmetric10 (R+R^T)/2": (halves, "symmetric10"),
        "symmetric10 R+R^T": ([2 * m for m in halves], "symmetric10"),
        "symmetric10 R R^T": ([r @ r.T for r in draws], "symmetric10"),
    }


def abs_delta(matrix, rank, regime):
    decomposition = thin_svd(matrix)
    learned = train(matrix, rank, regime).matrix
    error = np.linalg.norm(matrix - learned, 2) / decomposition.s[0]
    return abs(error - decomposition.error_2(rank) / decomposition.s[0])


def set_table(name, members, published, regime):
    rows = []
    for rank in range(1, 10):
        deltas = [abs_delta(m, rank, regime) for m in members]
        rows.append((rank, float(np.mean(deltas)), float(np.std(deltas))))
    cells = " | ".join(f"{mean:.4f} ± {spread:.3f}" for _, mean, spread in rows)
    misses = [abs(mean - published[rank]) for rank, mean, _ in rows if rank > 1]
    return f"| {name} | {cells} | {max(misses):.3f} |"


def single_rows(regime, seeds=5):
    """|delta| at rank 20 of identity(50) and diag(0..49) over ``seeds`` seeds."""
    lines = []
    for name, matrix in [
        ("identity50", np.eye(50)),
        ("diag(0..49)", np.diag(np.arange(50.0))),
    ]:
        deltas = [
            abs_delta(matrix, 20, dataclasses.replace(regime, seed=seed))
            for seed in range(seeds)
        ]
        lines.append(
            f"{name} r20 |delta| over seeds 0-{seeds - 1}: mean {np.mean(deltas):.5f}, "
            f"range {min(deltas):.5f}-{max(deltas):.5f}"
        )
    return lines


def batch_size_rows(sets, published, batch_sizes):
    lines = []
    for batch_size in batch_sizes:
        regime = PaperRegime(inputs="uniform", use_bias=False, batch_size=batch_size)
        for name in ("random10", "symmetric10 upper triangle mirrored"):
            members, figure = sets[name]
            rows = published[published["experiment"] == figure]
            values = rows.set_index("rank")["value"]
            lines.append(
                set_table(f"batch {batch_size}: {name}", members, values, regime)
            )
            print(lines[-1], flush=True)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--batch-sizes", type=int, nargs="+")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    published = published_gaps()
    sets = matrix_sets(args.members)
    ranks = " | ".join(f"r{rank}" for rank in range(1, 10))
    header = [f"| set | {ranks} | max miss r2-9 |", "| --- |" + " ---: |" * 10]
    lines = list(header)
    for figure in ("random10", "symmetric10"):
        values = published[published["experiment"] == figure].set_index("rank")["value"]
        cells = " | ".join(f"{values[rank]:.4f}" for rank in range(1, 10))
        lines.append(f"| published, {figure} | {cells} | |")
    print("\n".join(lines), flush=True)
    if args.batch_sizes:
        lines += batch_size_rows(sets, published, args.batch_sizes)
        _write(args, lines, f" --batch-sizes {' '.join(map(str, args.batch_sizes))}")
        return
    for inputs, use_bias in VARIANTS:
        regime = PaperRegime(inputs=inputs, use_bias=use_bias)
        label = f"{inputs}, {'biases' if use_bias else 'no biases'}"
        start = time.perf_counter()
        if not lines[-1].startswith("|"):  # a note ended the last table
            lines += ["", *header]
        for name, (members, figure) in sets.items():
            rows = published[published["experiment"] == figure]
            values = rows.set_index("rank")["value"]
            line = set_table(f"{label}: {name}", members, values, regime)
            lines.append(line)
            print(line, flush=True)
        for line in single_rows(regime):
            lines.append(f"\n{label}: {line}")
            print(lines[-1], flush=True)
        print(f"({label}: {time.perf_counter() - start:.0f} s)", flush=True)
    _write(args, lines)


def _write(args, lines, options=""):
    if args.out:
        command = f"python bench/paper_variants.py --members {args.members}{options}"
        title = f"# Paper-regime variants (`{command}`)"
        args.out.write_text("\n\n".join([title, "\n".join(lines)]) + "\n")


if __name__ == "__main__":
    main()
