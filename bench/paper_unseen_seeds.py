"""Figures 10 and 12 on matrix sets the defaults were not fitted on.

    python bench/paper_unseen_seeds.py [--seeds 7 11 23] [--members 10]
        [--set KEY=VALUE ...] [--uncorrected-he-normal]
        [--out bench/paper_unseen_seeds.csv]

The paper regime's defaults (`docs/paper.md`) were chosen on the random and
symmetric 10x10 sets of ``config/paper.yaml`` (matrix seeds 0 and 1). This
trains the default regime on sets drawn with other matrix seeds and writes,
per set, seed and rank, the mean and standard deviation of |delta| over the
members beside the published value, the miss (|mean - published|) and
whether it lies within the checkpoint's tolerance: 0.003 for Figure 10 at
rank 1, 0.03 for every other (issue #33). The revision that ran is written
into every row.

Variants of the regime, to test what might make the paper's rank 1 converge
(`docs/paper.md`, "Rank 1"): ``--set learning_rate=0.003`` changes a field of
the paper regime; ``--uncorrected-he-normal`` draws he_normal as Keras did
before 2.2 (a normal of standard deviation sqrt(2 / fan_in) truncated at two,
without the later correction that restores that deviation after truncation,
keras-team/keras#9963), i.e. 0.88 times today's spread. Each row names its
variant.
"""

import argparse
import os
import subprocess
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

import lowrank.training.initial_weights as initial_weights  # noqa: E402
from lowrank.decomposition.svd import thin_svd  # noqa: E402
from lowrank.inputs.matrices import build_members  # noqa: E402
from lowrank.report.paper import published_gaps  # noqa: E402
from lowrank.training.regimes import PaperRegime  # noqa: E402
from lowrank.training.train import train  # noqa: E402

TOLERANCE = {("random10", 1): 0.003}  # Figure 10 at rank 1; every other 0.03
OTHER_TOLERANCE = 0.03
SETS = {
    # name in the published table: the config/paper.yaml spec without its seed
    "random10": {"family": "uniform", "shape": [10, 10]},
    "symmetric10": {"family": "symmetric", "n": 10, "symmetrize": "upper"},
}


def abs_deltas(members, rank, regime):
    deltas = []
    for matrix in members:
        decomposition = thin_svd(matrix)
        learned = train(matrix, rank, regime).matrix
        error = np.linalg.norm(matrix - learned, 2) / decomposition.s[0]
        deltas.append(abs(error - decomposition.error_2(rank) / decomposition.s[0]))
    return np.array(deltas)


def revision():
    """The commit that ran, with ``+edited`` where lowrank/ had changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    edited = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "lowrank"])
    return (head or "unknown") + ("+edited" if edited.returncode else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 23])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE")
    parser.add_argument("--uncorrected-he-normal", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=Path("bench/paper_unseen_seeds.csv")
    )
    args = parser.parse_args()
    published = published_gaps().set_index(["experiment", "rank"])["value"]
    changes = dict(item.split("=", 1) for item in args.set)
    regime = PaperRegime(**{k: yaml.safe_load(v) for k, v in changes.items()})
    variant = " ".join(args.set) or "default"
    if args.uncorrected_he_normal:
        initial_weights.TRUNCATED_NORMAL_STDDEV = 1.0
        variant = "uncorrected he_normal"
    rows, commit = [], revision()
    for name, spec in SETS.items():
        for seed in args.seeds:
            spec_seeded = {**spec, "count": args.members, "seed": seed}
            members = build_members(name, spec_seeded)
            for rank in range(1, 10):
                deltas = abs_deltas(members, rank, regime)
                expected = published[(name, rank)]
                miss = abs(deltas.mean() - expected)
                tolerance = TOLERANCE.get((name, rank), OTHER_TOLERANCE)
                rows.append(
                    {
                        "variant": variant,
                        "experiment": name, "matrix_seed": seed, "rank": rank,
                        "published_abs_delta": expected,
                        "paper_abs_delta_mean": round(deltas.mean(), 4),
                        "paper_abs_delta_sd": round(deltas.std(), 4),
                        "miss": round(miss, 4), "tolerance": tolerance,
                        "within": bool(miss <= tolerance), "revision": commit,
                    }
                )  # fmt: skip
                print(rows[-1], flush=True)
    pd.DataFrame(rows).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
