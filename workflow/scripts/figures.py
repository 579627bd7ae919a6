"""The figures of one input: error against rank, and per rank the
approximation panels and training curves. Network records are read a rank at
a time, so only one rank's approximations are in memory."""

import sys
from pathlib import Path

from lowrank.figures import approximation_panels, error_versus_rank, training_curves
from lowrank.methods import svd_record
from lowrank.records import network_record_paths, read_matrix, read_record, read_svd
from lowrank.summary import read_table

sys.stderr = open(snakemake.log[0], "w")
item = read_matrix(snakemake.input.matrix)
decompositions = read_svd(snakemake.input.svd)
table = read_table(snakemake.input.evaluation)
ranks = snakemake.params.ranks
networks_per_rank = len(snakemake.input.networks)
networks = iter(network_record_paths(snakemake.input.networks, ranks))
for rank in ranks:
    records = [svd_record(item, decompositions, rank)]
    records += [read_record(next(networks)) for _ in range(networks_per_rank)]
    for record in records:
        row = table[(table["rank"] == rank) & (table["method"] == record.method)]
        record.metrics = row.iloc[0].to_dict()
    by_method = {record.method: record for record in records}
    approximation_panels(item, by_method, Path(snakemake.output.panels, f"rank{rank}"))
    training_curves(
        by_method, decompositions, rank, Path(snakemake.output.training, f"rank{rank}")
    )
error_versus_rank(table, decompositions, snakemake.output.errors.removesuffix(".png"))
