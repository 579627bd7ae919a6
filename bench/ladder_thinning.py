"""How far the BD-rates move when the sweep measures fewer points: which
points the curves need, out of a finished codec study's rate tables.

    python bench/ladder_thinning.py DENSE_RESULTS [--sparse RESULTS]

For each thinning (codec qualities kept; every k-th SVD rank of each
format's curve kept, its first and last rank always, or else from a first
rank on), the BD table is computed again from the kept rows only and
compared with the full one: the points kept; by how many per cent a
figure's rate ratio 1 + BD-rate moves (the larger ratio over the smaller),
largest and median per image, largest on the geometric-mean rows; and how
many figures the full table has that the thinned one loses. (Its record,
bench/ladder_thinning_2026-12-06.md, also has a set-curve column: the BD
table has had no set-curve rows since the aggregates got bootstrap
intervals.) ``--sparse`` adds a row for a
second study of the same images swept on another ladder (the shipped one,
against a denser revision's), and a table of its largest changes per SVD
format.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from lowrank.evaluation.bdrate import aggregate_table, bd_table, set_images

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
MEAN = "geometric mean"  # the input of the aggregate rows here


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


def changes(full, reduced, keys):
    """Per figure, by how many per cent its rate ratio 1 + BD-rate moved
    (either way: the larger ratio over the smaller)."""
    ratio = (1 + reduced.reindex(keys) / 100) / (1 + full.reindex(keys) / 100)
    return 100 * (np.exp(np.abs(np.log(ratio.dropna()))) - 1)


def key_groups(full):
    """(per image, geometric mean) keys of a BD table."""
    return (
        [k for k in full.index if k[0] != MEAN],
        [k for k in full.index if k[0] == MEAN],
    )


def compared(full, reduced):
    """The table row's figures of ``reduced`` against ``full``."""
    per_image, means = key_groups(full)
    images = changes(full, reduced, per_image)
    lost = int(reduced.reindex(full.index).isna().sum())
    return (
        f"{images.max():.1f} | {images.median():.2f} | "
        f"{changes(full, reduced, means).max():.1f} | {lost} |"
    )


def by_format(full, reduced):
    """Per SVD format: the largest change on the geometric-mean rows and on
    single images."""
    per_image, means = key_groups(full)
    print("\n| test | geometric mean: largest % | per image: largest % |")
    print("| --- | ---: | ---: |")
    for test in sorted(full.index.get_level_values("test").unique()):
        largest = [
            changes(full, reduced, [k for k in keys if k[1] == test]).max()
            for keys in (means, per_image)
        ]
        print(f"| {test} | {largest[0]:.1f} | {largest[1]:.1f} |")


def bd_rates(table):
    """Per-image BD-rates and their geometric means (input :data:`MEAN`)."""
    per_image = bd_table(table)
    means = aggregate_table(per_image, set_images(table), resamples=1)
    means = means.assign(input=MEAN, bd_rate_percent=means["geometric_mean_percent"])
    rows = pd.concat([per_image, means[[*KEY, "bd_rate_percent"]]])
    return rows.set_index(KEY)["bd_rate_percent"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--sparse", type=Path)
    args = parser.parse_args()
    table = rate_tables(args.results)
    full = bd_rates(table).dropna()
    print(
        "| qualities | every k-th rank | from rank | points | of | per image: "
        "largest % | median % | geometric mean: largest % | figures lost |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
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
        by_format(full, bd_rates(sparse))


if __name__ == "__main__":
    main()
