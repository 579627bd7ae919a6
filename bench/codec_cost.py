"""One image's rate-distortion rows as the rate_distortion job computes
them, out of a finished study's results:

    python bench/codec_cost.py RESULTS INPUT [--threads N]

Prints the number of points and the seconds they took. Pair two revisions
with farm-bench (PYTHONPATH=<checkout> for each side); a revision whose
``rate_distortion_rows`` takes no ``threads`` runs single-threaded.
"""

import argparse
import inspect
import time
from pathlib import Path

from lowrank.evaluation.codecs import rate_distortion_ranks, rate_distortion_rows
from lowrank.records import read_matrix, read_svd

QUALITIES = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]  # config/config.yaml


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("input")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    item = read_matrix(args.results / "inputs" / f"{args.input}.h5")
    decompositions = read_svd(args.results / "svd" / f"{args.input}.h5")
    channels = {}  # a revision before the ranks knew the formats' ends has none
    if "channels" in inspect.signature(rate_distortion_ranks).parameters:
        channels["channels"] = item.matrix.shape[0]
    ranks = rate_distortion_ranks(item.matrix.shape[1:], **channels)
    options = {}
    parameters = inspect.signature(rate_distortion_rows).parameters
    if "threads" in parameters:
        options["threads"] = args.threads
    if "mode" in parameters:
        options["mode"] = item.mode
    start = time.perf_counter()
    rows = rate_distortion_rows(
        item.matrix, decompositions, ranks, QUALITIES, **options
    )
    print(f"{len(rows)} points in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
