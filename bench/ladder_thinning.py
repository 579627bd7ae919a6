"""How far the BD-rates move when the sweep measures fewer points: which
points the curves need, out of a finished codec study's rate tables.

    python bench/ladder_thinning.py RESULTS

For each thinning (codec qualities kept; every k-th SVD rank kept, from a
first rank on, the last rank always), the BD table is computed again from
the kept rows only and compared with the full one: the points kept, the
largest and the median |log| of the ratio of rate ratios (1 + BD-rate) per
image and on the geometric mean rows (PSNR-RGB, MS-SSIM, SSIMULACRA2), and
how many figures the full table has that the thinned one loses.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from lowrank.evaluation.bdrate import MEAN, SET, bd_table

ALL_QUALITIES = (5, 15, 25, 35, 45, 55, 65, 75, 85, 95)
THINNINGS = (  # (codec qualities, every k-th SVD rank, from rank)
    (ALL_QUALITIES, 1, 1),
    (ALL_QUALITIES, 2, 1),
    ((5, 25, 45, 65, 85, 95), 1, 1),
    ((5, 25, 45, 65, 85, 95), 2, 1),
    (ALL_QUALITIES, 1, 11),
    ((5, 35, 65, 95), 2, 1),
)
KEY = ["input", "test", "anchor", "metric"]


def thinned(table, qualities, step, first):
    kept = []
    for _, image in table.groupby("input"):
        ranks = sorted(r for r in image["rank"].dropna().unique() if r >= first)
        wanted = set(ranks[::step]) | {ranks[-1]}
        codec = image["rank"].isna() & image["quality"].isin(qualities)
        kept.append(image[codec | image["rank"].isin(wanted)])
    return pd.concat(kept, ignore_index=True)


def log_ratios(full, reduced, keys):
    ratio = (1 + reduced.reindex(keys) / 100) / (1 + full.reindex(keys) / 100)
    return np.abs(np.log(ratio.dropna()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    folder = args.results / "rate_distortion"
    tables = [
        pd.read_csv(path)
        for path in sorted(folder.glob("*.csv"))
        if path.stem not in ("bd_rates", "set_curves")
    ]
    table = pd.concat(tables, ignore_index=True)
    full = bd_table(table).set_index(KEY)["bd_rate_percent"].dropna()
    print(
        "| qualities | every k-th rank | from rank | points | of | "
        "per image: largest | median | geometric mean: largest | figures lost |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for qualities, step, first in THINNINGS:
        kept = thinned(table, qualities, step, first)
        reduced = bd_table(kept).set_index(KEY)["bd_rate_percent"]
        per_image = [k for k in full.index if k[0] not in (MEAN, SET)]
        means = [
            k for k in full.index
            if k[0] == MEAN and k[3] in ("psnr", "ms_ssim_db", "ssimulacra2")
        ]  # fmt: skip
        images, aggregate = (
            log_ratios(full, reduced, per_image),
            log_ratios(full, reduced, means),
        )
        lost = int(reduced.reindex(full.index).isna().sum())
        print(
            f"| {len(qualities)} | {step} | {first} | {len(kept)} | {len(table)} | "
            f"{images.max():.4f} | {images.median():.4f} | {aggregate.max():.4f} "
            f"| {lost} |"
        )


if __name__ == "__main__":
    main()
