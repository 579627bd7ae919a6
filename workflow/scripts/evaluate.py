"""Attach metrics to one (input, rank, method) approximation."""

import sys
import warnings

from lowrank.evaluation import evaluate
from lowrank.records import read_matrix, read_record, read_svd, write_record

sys.stderr = open(snakemake.log[0], "w")
warnings.simplefilter("always")
record = read_record(snakemake.input.approximation)
record.metrics = evaluate(
    read_matrix(snakemake.input.matrix), read_svd(snakemake.input.svd), record
)
write_record(snakemake.output[0], record)
