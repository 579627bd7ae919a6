"""One study input: its matrix (from an image file or a matrix set) and the
thin SVD of each of its channels."""

import sys
import time

from lowrank.inputs import input_matrix
from lowrank.records import write_matrix, write_svd
from lowrank.svd import thin_svd

sys.stderr = open(snakemake.log[0], "w")
item = input_matrix(snakemake.wildcards.input, snakemake.params.source)
write_matrix(snakemake.output.matrix, item)
start = time.perf_counter()
decompositions = [thin_svd(channel) for channel in item.matrix]
seconds = time.perf_counter() - start
write_svd(snakemake.output.svd, item.input, decompositions, seconds)
