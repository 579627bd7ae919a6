"""An evaluate job: score the truncated SVD and every trained network of one
input at each rank (one summary row per rank and method) and draw the
input's figures.

    python -m lowrank.evaluation.job MATRIX SVD --networks FOLDER... --ranks JSON
        --table CSV --errors SVG --panels DIR --training DIR --views DIR

An input left out (:mod:`lowrank.inputs.cards`) gets an empty table, a figure
that says why, and empty folders.

The program of the workflow's ``evaluate`` rule; a plain program, not a
Snakemake ``script:`` (see :mod:`lowrank.decomposition.prepare_job`).
"""

import argparse
import json
import os
import warnings

from lowrank.evaluation.metrics import UndefinedMetricWarning
from lowrank.evaluation.scores import write_evaluation
from lowrank.inputs.cards import left_out_reason, write_left_out
from lowrank.records import network_record_paths, read_matrix, read_svd
from lowrank.report.figures import input_figures, left_out_figure


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("matrix", help="the input's matrix record (HDF5)")
    parser.add_argument("svd", help="the input's SVD record (HDF5)")
    parser.add_argument("--networks", nargs="*", default=[],
                        help="the trained regimes' record folders")  # fmt: skip
    parser.add_argument("--ranks", type=json.loads, required=True)
    parser.add_argument("--table", required=True, help="the evaluation rows (CSV)")
    for folder in ("errors", "panels", "training", "views"):
        parser.add_argument(f"--{folder}", required=True)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    # Off the training chain, the study's critical path: the trainings get
    # the CPU first where they share it (`docs/design.md`, "The pipeline").
    os.nice(10)
    # Every undefined metric, not just the first per call site.
    warnings.simplefilter("always", UndefinedMetricWarning)
    folders = {
        "panels": args.panels,
        "training": args.training,
        "views": args.views,
        "errors": args.errors,
    }
    reason = left_out_reason(args.matrix, args.ranks)
    if reason is not None:
        write_left_out(args.table)
        for name in ("panels", "training", "views"):
            os.makedirs(folders[name], exist_ok=True)
        left_out_figure(args.errors, reason)
        return
    item = read_matrix(args.matrix)
    decompositions = read_svd(args.svd)
    networks = network_record_paths(args.networks, args.ranks)
    table = write_evaluation(
        item, decompositions, args.ranks, args.svd, networks, args.table
    )
    input_figures(item, decompositions, table, args.ranks, networks, folders)


if __name__ == "__main__":
    main()
