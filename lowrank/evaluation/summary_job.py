"""A summary job: every input's evaluation rows and every image's
rate-distortion table joined into the study's summary.

    python -m lowrank.evaluation.summary_job FILES_JSON --csv CSV --hdf HDF5

FILES_JSON lists the ``evaluations``, the image ``matrices`` and the
``rate_distortion`` tables to read (the workflow writes it as it plans the
study, :mod:`lowrank.plan_files`: thousands of paths do not fit on a command
line). The program of the workflow's ``summary`` rule (see
:mod:`lowrank.decomposition.prepare_job`).
"""

import argparse
from pathlib import Path

from lowrank.evaluation.summary import (
    rate_distortion_summary_rows,
    read_csv,
    read_table,
    summary_table,
    write_summary,
)
from lowrank.inputs.cards import kept
from lowrank.plan_files import read_arguments
from lowrank.records import read_matrix

SUMMARY_FILES = ("evaluations", "matrices", "rate_distortion")


def summary_rows(evaluations, matrices, rate_distortion):
    """The rows of every kept evaluation and rate-distortion table."""
    rows = []
    for path in kept(evaluations):
        rows += read_table(path).to_dict("records")
    images = {item.input: item for item in map(read_matrix, kept(matrices))}
    for path in kept(rate_distortion):
        table = read_csv(path)
        item = images[table["input"].iloc[0]]
        rows += rate_distortion_summary_rows(item, table.drop(columns="input"), path)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, help="the tables to join (JSON)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--hdf", required=True)
    args = parser.parse_args(argv)
    files = read_arguments(args.files, SUMMARY_FILES)
    rows = summary_rows(*(files[kind] for kind in SUMMARY_FILES))
    write_summary(summary_table(rows), args.csv, args.hdf)


if __name__ == "__main__":
    main()
