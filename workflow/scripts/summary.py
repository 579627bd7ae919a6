"""Collect every evaluated record into results/summary.csv and summary.h5."""

import sys

from lowrank.records import read_matrix, read_record
from lowrank.summary import summary_row, summary_table, write_summary

sys.stderr = open(snakemake.log[0], "w")
inputs = {item.input: item for item in map(read_matrix, snakemake.input.matrices)}
rows = []
for path in snakemake.input.records:
    record = read_record(path)
    rows.append(summary_row(inputs[record.input], record, path))
write_summary(summary_table(rows), snakemake.output.csv, snakemake.output.hdf)
