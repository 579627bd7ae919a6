"""Score the truncated SVD and every trained network of one input at each
rank (one summary row per rank and method), and draw the input's figures."""

import os

# Off the training chain, the study's critical path: the trainings get the
# CPU first where they share it (README, "Training throughput"). Set before
# the imports, which cost a second of CPU themselves.
os.nice(10)

import sys  # noqa: E402
import warnings  # noqa: E402

from lowrank.evaluation import write_evaluation  # noqa: E402
from lowrank.figures import input_figures  # noqa: E402
from lowrank.metrics import UndefinedMetricWarning  # noqa: E402
from lowrank.records import network_record_paths, read_matrix, read_svd  # noqa: E402

sys.stderr = open(snakemake.log[0], "w")
# Every undefined metric, not just the first per call site.
warnings.simplefilter("always", UndefinedMetricWarning)
item = read_matrix(snakemake.input.matrix)
decompositions = read_svd(snakemake.input.svd)
ranks = snakemake.params.ranks
networks = network_record_paths(snakemake.input.networks, ranks)
table = write_evaluation(
    item, decompositions, ranks, snakemake.input.svd, networks, snakemake.output.table
)
folders = {
    "panels": snakemake.output.panels,
    "training": snakemake.output.training,
    "views": snakemake.output.views,
    "errors": snakemake.output.errors,
}
input_figures(item, decompositions, table, ranks, networks, folders)
