"""A rate_distortion job: bits per pixel against quality for one image, for
its SVD factor formats, the low-rank coders and the image codecs.

    python -m lowrank.evaluation.rate_distortion_job MATRIX SVD
        [--coded-networks FOLDER...] --ranks JSON --qualities JSON --threads N
        --table CSV --figure SVG

An image left out (:mod:`lowrank.inputs.cards`) gets an empty table and a
figure that says why. The program of the workflow's ``rate_distortion``
rule; a plain program, not a Snakemake ``script:`` (see
:mod:`lowrank.decomposition.prepare_job`).
"""

import os

# Off the training chain, the study's critical path: the trainings get the
# CPU first where they share it (`docs/design.md`, "The pipeline"). Set before
# the imports, which cost a second of CPU themselves.
if __name__ == "__main__":
    os.nice(10)

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from lowrank.evaluation.codecs import rate_distortion_ranks, rate_distortion_rows  # noqa: E402
from lowrank.evaluation.subspace_codecs import subspace_codecs  # noqa: E402
from lowrank.inputs.cards import left_out_reason, write_left_out  # noqa: E402
from lowrank.records import (  # noqa: E402
    network_record_path,
    read_matrix,
    read_record,
    read_svd,
)
from lowrank.report.figures import left_out_figure, rate_distortion  # noqa: E402


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("matrix", help="the image's matrix record (HDF5)")
    parser.add_argument("svd", help="the image's SVD record (HDF5)")
    parser.add_argument("--coded-networks", nargs="*", default=[], dest="networks",
                        help="training folders whose subspaces are coded")  # fmt: skip
    parser.add_argument("--ranks", type=json.loads, required=True)
    parser.add_argument("--qualities", type=json.loads, required=True,
                        help="each codec's quality settings (JSON)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--table", required=True, help="the sweep's rows (CSV)")
    parser.add_argument("--figure", required=True, help="its figure (SVG)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    reason = left_out_reason(args.matrix, args.ranks)
    if reason is not None:
        write_left_out(args.table)
        left_out_figure(args.figure, reason)
        return
    item = read_matrix(args.matrix)
    ranks = rate_distortion_ranks(
        item.matrix.shape[1:], args.ranks, channels=item.matrix.shape[0]
    )
    decompositions = read_svd(args.svd)
    # In a block layout, each method's subspace at the input's highest rank, coded.
    top = max(args.ranks)
    records = [read_record(network_record_path(f, top)) for f in args.networks]
    rows = rate_distortion_rows(
        item.matrix,
        decompositions,
        ranks,
        args.qualities,
        threads=args.threads,
        mode=item.mode,
        layout=(item.layout, item.picture_shape),
        codecs=subspace_codecs(item, decompositions, records),
    )
    table = pd.DataFrame(rows)
    table.insert(0, "input", item.input)
    table.to_csv(args.table, index=False)
    rate_distortion(table, f"{item.input}: rate and distortion", Path(args.figure))


if __name__ == "__main__":
    main()
