"""Collect every evaluated record and rate-distortion table into the summary."""

import sys

import pandas as pd

from lowrank.records import read_matrix, read_record
from lowrank.summary import (
    rate_distortion_summary_rows,
    summary_row,
    summary_table,
    write_summary,
)

sys.stderr = open(snakemake.log[0], "w")
inputs = {item.input: item for item in map(read_matrix, snakemake.input.matrices)}
rows = []
for path in snakemake.input.records:
    record = read_record(path)
    rows.append(summary_row(inputs[record.input], record, path))
for path in snakemake.input.rate_distortion:
    table = pd.read_csv(path)
    item = inputs[table["input"].iloc[0]]
    rows += rate_distortion_summary_rows(item, table.drop(columns="input"), path)
write_summary(summary_table(rows), snakemake.output.csv, snakemake.output.hdf)
