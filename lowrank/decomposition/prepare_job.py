"""A prepare job: one study input's matrix and the thin SVD of each channel.

    python -m lowrank.decomposition.prepare_job NAME SOURCE_JSON MATRIX SVD

The program of the workflow's ``prepare`` rule. SOURCE_JSON says how to build
the input (:func:`lowrank.inputs.sources.input_matrix`). A plain program, not a
Snakemake ``script:``: the job starts without importing Snakemake, and
planning a study does not read a script's source once per job.
"""

import argparse
import json
import time

from lowrank.decomposition.svd import thin_svd
from lowrank.inputs.sources import input_matrix
from lowrank.records import write_matrix, write_svd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the input's name (an image stem or <set>-i)")
    parser.add_argument("source", type=json.loads, help="how to build it (JSON)")
    parser.add_argument("matrix", help="the matrix record to write (HDF5)")
    parser.add_argument("svd", help="the SVD record to write (HDF5)")
    args = parser.parse_args(argv)
    item = input_matrix(args.name, args.source)
    write_matrix(args.matrix, item)
    start = time.perf_counter()
    decompositions = [thin_svd(channel) for channel in item.matrix]
    seconds = time.perf_counter() - start
    write_svd(args.svd, item.input, decompositions, seconds)


if __name__ == "__main__":
    main()
