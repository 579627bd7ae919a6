"""A prepare job: one study input's matrix and the thin SVD of each channel.

    python -m lowrank.decomposition.prepare_job NAME SOURCE_JSON MATRIX SVD CARD \
        [IMAGE [FETCHED]]

The program of the workflow's ``prepare`` rule. SOURCE_JSON says how to build
the input (:func:`lowrank.inputs.sources.input_matrix`). CARD is the input's
card (:mod:`lowrank.inputs.cards`): its shape, or why an image was skipped
(FETCHED, the record of a remote image's download, may say it failed),
in which case MATRIX and SVD are left empty and the job still succeeds, so
that one bad file costs the study nothing else. A plain program, not a
Snakemake ``script:``: the job starts without importing Snakemake, and
planning a study does not read a script's source once per job.
"""

import argparse
import json
import sys
import time

from lowrank.decomposition.svd import thin_svd
from lowrank.errors import InputFileError, OversizeImageError
from lowrank.inputs.cards import write_card, write_left_out
from lowrank.inputs.sources import input_matrix
from lowrank.inputs.urls import read_fetch_record
from lowrank.records import write_matrix, write_svd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the input's name (an image stem or <set>-i)")
    parser.add_argument("source", type=json.loads, help="how to build it (JSON)")
    parser.add_argument("matrix", help="the matrix record to write (HDF5)")
    parser.add_argument("svd", help="the SVD record to write (HDF5)")
    parser.add_argument("card", help="the input's card to write (JSON)")
    parser.add_argument("image", nargs="?", help="an image input's file")
    parser.add_argument("fetched", nargs="?", help="a remote image's fetch record")
    args = parser.parse_args(argv)
    limit = args.source.get("image", {}).get("max_pixels")
    try:
        if args.fetched and (failure := read_fetch_record(args.fetched).get("failed")):
            raise InputFileError(failure)
        item = input_matrix(args.name, args.source, args.image)
    except InputFileError as error:
        if "image" not in args.source:
            raise
        message = str(error)
        source = args.source["image"]["source"]
        if args.fetched and not message.startswith(source):
            message = f"{source}: {message}"
        print(f"skipped: {message}", file=sys.stderr)
        write_left_out(args.matrix, args.svd)
        oversize = isinstance(error, OversizeImageError)
        write_card(args.card, skipped=message, oversize=oversize, limit=limit)
        return
    write_matrix(args.matrix, item)
    start = time.perf_counter()
    decompositions = [thin_svd(channel) for channel in item.matrix]
    seconds = time.perf_counter() - start
    write_svd(args.svd, item.input, decompositions, seconds)
    write_card(args.card, shape=item.matrix.shape[1:], limit=limit)


if __name__ == "__main__":
    main()
