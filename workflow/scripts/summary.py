"""Join every input's evaluation and every rate-distortion table into the summary."""

import sys

from lowrank.evaluation.summary import (
    rate_distortion_summary_rows,
    read_csv,
    read_table,
    summary_table,
    write_summary,
)
from lowrank.inputs.cards import kept
from lowrank.records import read_matrix

sys.stderr = open(snakemake.log[0], "w")
rows = []
for path in kept(snakemake.input.evaluations):
    rows += read_table(path).to_dict("records")
images = {item.input: item for item in map(read_matrix, kept(snakemake.input.images))}
for path in kept(snakemake.input.rate_distortion):
    table = read_csv(path)
    item = images[table["input"].iloc[0]]
    rows += rate_distortion_summary_rows(item, table.drop(columns="input"), path)
write_summary(summary_table(rows), snakemake.output.csv, snakemake.output.hdf)
