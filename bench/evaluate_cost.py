"""One input's evaluation as the evaluate job does it, out of a finished
study's results, into a scratch folder:

    python bench/evaluate_cost.py RESULTS INPUT RANKS [--profile N]

RANKS is comma-separated. Prints the seconds of the imports, the rows and
the figures; with ``--profile N`` the N costliest calls too. Pair two
revisions with farm-bench (PYTHONPATH=<checkout> for each side) to compare
whole processes, imports included.
"""

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

start = time.perf_counter()
from lowrank.evaluation.scores import write_evaluation  # noqa: E402
from lowrank.records import network_record_paths, read_matrix, read_svd  # noqa: E402
from lowrank.report.figures import input_figures  # noqa: E402

IMPORTS = time.perf_counter() - start


def evaluate(results, name, ranks, scratch):
    item = read_matrix(results / "inputs" / f"{name}.h5")
    decompositions = read_svd(results / "svd" / f"{name}.h5")
    trained = sorted((results / "approximations" / name).iterdir())
    networks = network_record_paths(trained, ranks)
    begin = time.perf_counter()
    svd_path = results / "svd" / f"{name}.h5"
    table = write_evaluation(
        item, decompositions, ranks, svd_path, networks, scratch / "table.csv"
    )
    middle = time.perf_counter()
    folders = {kind: scratch / kind for kind in ("panels", "training", "views")}
    for folder in folders.values():
        folder.mkdir()
    folders["errors"] = scratch / "errors.svg"
    input_figures(item, decompositions, table, ranks, networks, folders)
    return middle - begin, time.perf_counter() - middle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("input")
    parser.add_argument("ranks", type=lambda text: [int(r) for r in text.split(",")])
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as scratch:
        profile.enable()
        rows, figures = evaluate(args.results, args.input, args.ranks, Path(scratch))
        profile.disable()
    print(f"imports {IMPORTS:.2f} s, rows {rows:.2f} s, figures {figures:.2f} s")
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
