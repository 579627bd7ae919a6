"""How far the BD-rates move when the sweep measures fewer points: which
points the curves need, out of a finished codec study's rate tables.

    python bench/ladder_thinning.py DENSE_RESULTS [--sparse RESULTS]

For each thinning (codec qualities kept; every k-th SVD rank of each
format's curve kept, its first and last rank always, or else from a first
rank on), the BD table is computed again from the kept rows only and
compared with the full one: the points kept, the largest and the median
|log| of the ratio of rate ratios (1 + BD-rate) per image, the largest on
the geometric-mean rows and on the set-curve rows, and how many figures the
full table has that the thinned one loses. ``--sparse`` adds a row for a
second study of the same images swept on another ladder (the shipped one,
against a denser revision's).
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from lowrank.evaluation.bdrate import MEAN, SET, bd_table

ALL_QUALITIES = (5, 15, 25, 35, 45, 55, 65, 75, 85, 95)
THINNINGS = (  # (codec qualities, every k-th SVD rank, from rank: None keeps the ends)
    (ALL_QUALITIES, 1, None),
    (ALL_QUALITIES, 2, None),
    (ALL_QUALITIES, 3, None),
    ((5, 25, 45, 65, 85, 95), 1, None),
    ((5, 25, 45, 65, 85, 95), 2, None),
    (ALL_QUALITIES, 1, 11),
)
KEY = ["input", "test", "anchor", "metric"]


def rate_tables(results):
    folder = results / "rate_distortion"
    return pd.concat(
        [
            pd.read_csv(path)
            for path in sorted(folder.glob("*.csv"))
            if path.stem not in ("bd_rates", "set_curves")
        ],
        ignore_index=True,
    )


def thinned(table, qualities, step, first):
    kept = []
    for _, rows in table.groupby(["input", "method"]):
        if rows["rank"].isna().all():
            kept.append(rows[rows["quality"].isin(qualities)])
            continue
        ranks = sorted(rows["rank"].unique())
        if first is None:
            wanted = set(ranks[::step]) | {ranks[0], ranks[-1]}
        else:
            wanted = {rank for rank in ranks[::step] if rank >= first}
        kept.append(rows[rows["rank"].isin(wanted)])
    return pd.concat(kept, ignore_index=True)


def log_ratios(full, reduced, keys):
    ratio = (1 + reduced.reindex(keys) / 100) / (1 + full.reindex(keys) / 100)
    return np.abs(np.log(ratio.dropna()))


def compared(full, reduced):
    """The table row's figures of ``reduced`` against ``full``."""
    per_image = [k for k in full.index if k[0] not in (MEAN, SET)]
    means = [k for k in full.index if k[0] == MEAN]
    sets = [k for k in full.index if k[0] == SET]
    images = log_ratios(full, reduced, per_image)
    lost = int(reduced.reindex(full.index).isna().sum())
    return (
        f"{images.max():.4f} | {images.median():.4f} | "
        f"{log_ratios(full, reduced, means).max():.4f} | "
        f"{log_ratios(full, reduced, sets).max():.4f} | {lost} |"
    )


def bd_rates(table):
    return bd_table(table).set_index(KEY)["bd_rate_percent"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--sparse", type=Path)
    args = parser.parse_args()
    table = rate_tables(args.results)
    full = bd_rates(table).dropna()
    print(
        "| qualities | every k-th rank | from rank | points | of | per image: "
        "largest | median | geometric mean: largest | set curve: largest | "
        "figures lost |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for qualities, step, first in THINNINGS:
        kept = thinned(table, qualities, step, first)
        print(
            f"| {len(qualities)} | {step} | {first or 'ends kept'} | {len(kept)} | "
            f"{len(table)} | {compared(full, bd_rates(kept))}"
        )
    if args.sparse:
        sparse = rate_tables(args.sparse)
        print(
            f"| {args.sparse} | | | {len(sparse)} | {len(table)} | "
            f"{compared(full, bd_rates(sparse))}"
        )


if __name__ == "__main__":
    main()
