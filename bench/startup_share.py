"""How much of a finished study's training wall time was start-up.

    python bench/startup_share.py [RESULTS_FOLDER ...]

For each results folder (default ``results``): the training jobs' wall time
from Snakemake's benchmark files (``benchmarks/train/**.tsv``, column ``s``),
the time spent training from the summary (``train_seconds`` of every network
row) and the start-up share (sum of job wall - sum of train_seconds) / sum of
job wall, in total and per regime. ``train_seconds`` includes tracing and
compiling the training loops; start-up is everything else a training job
does: starting Python, importing TensorFlow, reading the input, writing
records.
"""

import argparse
from pathlib import Path

import pandas as pd


def training_walls(results):
    """Wall seconds per training job, with its input and regime."""
    rows = []
    for path in sorted((Path(results) / "benchmarks" / "train").rglob("*.tsv")):
        wall = float(pd.read_csv(path, sep="\t")["s"].iloc[0])
        relative = path.relative_to(Path(results) / "benchmarks" / "train")
        regime = relative.stem
        rows.append({"job": str(relative), "regime": regime, "wall": wall})
    return pd.DataFrame(rows)


def train_seconds(results):
    summary = pd.read_csv(Path(results) / "summary.csv")
    networks = summary[summary["method"].str.startswith("nn-")]
    return networks.groupby(networks["method"].str.removeprefix("nn-"))[
        "train_seconds"
    ].sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", default=["results"])
    args = parser.parse_args()
    print("| study | regime | jobs | sum job wall s | sum train_seconds | start-up |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for results in args.results:
        walls = training_walls(results)
        trained = train_seconds(results)
        per_regime = walls.groupby("regime")["wall"].agg(["count", "sum"])
        for regime, (count, wall) in per_regime.iterrows():
            share = (wall - trained[regime]) / wall
            print(
                f"| {results} | {regime} | {count} | {wall:.1f} | "
                f"{trained[regime]:.1f} | {share:.0%} |"
            )
        wall, spent = walls["wall"].sum(), trained.sum()
        print(
            f"| {results} | all | {len(walls)} | {wall:.1f} | {spent:.1f} | "
            f"{(wall - spent) / wall:.0%} |"
        )


if __name__ == "__main__":
    main()
