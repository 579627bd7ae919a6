"""How much of a finished study's training wall time was start-up.

    python bench/startup_share.py [RESULTS_FOLDER ...] [--jobs]

For each results folder (default ``results``): the training jobs' wall time
from Snakemake's benchmark files (``benchmarks/train/**.tsv``, column ``s``),
the time spent training from the summary (``train_seconds`` of every network
row) and the start-up share (sum of job wall - sum of train_seconds) / sum of
job wall, in total and per regime. ``train_seconds`` includes tracing and
compiling the training loops; start-up is everything else a training job
does: starting Python, importing TensorFlow, reading the input, writing
records. ``--jobs`` also prints each job's wall, training and the rest.
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
        rows.append(
            {"input": relative.parent.as_posix(), "regime": regime, "wall": wall}
        )
    return pd.DataFrame(rows)


def train_seconds(results):
    """``train_seconds`` summed per training job: (input, regime)."""
    summary = pd.read_csv(Path(results) / "summary.csv")
    networks = summary[summary["method"].str.startswith("nn-")]
    # A matrix set's members share an input name; their records' folders
    # are named like their jobs.
    jobs = networks["record"].map(lambda path: Path(path).parent.parent.name)
    regimes = networks["method"].str.removeprefix("nn-").rename("regime")
    return networks.groupby([jobs.rename("input"), regimes])["train_seconds"].sum()


def print_jobs(walls, trained):
    jobs = walls.set_index(["input", "regime"]).join(trained)
    jobs["outside"] = jobs["wall"] - jobs["train_seconds"]
    print(jobs.sort_values("outside", ascending=False).round(2).to_markdown())
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", default=["results"])
    parser.add_argument("--jobs", action="store_true", help="a row per job too")
    args = parser.parse_args()
    studies = {
        results: (training_walls(results), train_seconds(results))
        for results in args.results
    }
    if args.jobs:
        for walls, trained in studies.values():
            print_jobs(walls, trained)
    print("| study | regime | jobs | sum job wall s | sum train_seconds | start-up |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for results, (walls, trained) in studies.items():
        trained = trained.groupby("regime").sum()
        per_regime = walls.groupby("regime")["wall"].agg(["count", "sum"])
        for regime, (count, wall) in per_regime.iterrows():
            share = (wall - trained[regime]) / wall
            print(
                f"| {results} | {regime} | {count:.0f} | {wall:.1f} | "
                f"{trained[regime]:.1f} | {share:.1%} |"
            )
        wall, spent = walls["wall"].sum(), trained.sum()
        print(
            f"| {results} | all | {len(walls)} | {wall:.1f} | {spent:.1f} | "
            f"{(wall - spent) / wall:.1%} |"
        )


if __name__ == "__main__":
    main()
