"""Approximation panels and training curves of one (input, rank)."""

import sys

from lowrank.figures import approximation_panels, training_curves
from lowrank.records import read_matrix, read_record, read_svd

sys.stderr = open(snakemake.log[0], "w")
item = read_matrix(snakemake.input.matrix)
records = {
    method: read_record(snakemake.input[method]) for method in snakemake.params.methods
}
rank = int(snakemake.wildcards.rank)
approximation_panels(item, records, snakemake.output.panels.removesuffix(".png"))
training_curves(
    records,
    read_svd(snakemake.input.decomposition),
    rank,
    snakemake.output.training.removesuffix(".png"),
)
