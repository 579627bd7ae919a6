"""The rank-k truncated SVD of an input."""

import sys

from lowrank.methods import svd_record
from lowrank.records import read_matrix, read_svd, write_record

sys.stderr = open(snakemake.log[0], "w")
record = svd_record(
    read_matrix(snakemake.input.matrix),
    read_svd(snakemake.input.svd),
    int(snakemake.wildcards.rank),
)
write_record(snakemake.output[0], record)
