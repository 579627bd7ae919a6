"""Score the truncated SVD and every trained network of one input at each
rank; one summary row per (rank, method)."""

import sys
import warnings

from lowrank.evaluation import evaluation_rows
from lowrank.metrics import UndefinedMetricWarning
from lowrank.records import network_record_paths, read_matrix, read_svd
from lowrank.summary import summary_table

sys.stderr = open(snakemake.log[0], "w")
# Every undefined metric, not just the first per call site.
warnings.simplefilter("always", UndefinedMetricWarning)
rows = evaluation_rows(
    read_matrix(snakemake.input.matrix),
    read_svd(snakemake.input.svd),
    snakemake.params.ranks,
    snakemake.input.svd,
    network_record_paths(snakemake.input.networks, snakemake.params.ranks),
)
summary_table(rows).to_csv(snakemake.output[0], index=False)
