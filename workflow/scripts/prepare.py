"""One study input: its matrix (from an image file or a matrix set) and the
thin SVD of each of its channels."""

import os

# Below the training servers: their TensorFlow import, which overlaps the
# prepare jobs when a study starts, gets the CPU first (README, "Training
# throughput"). Set before the imports, which cost CPU themselves.
os.nice(10)

import sys  # noqa: E402
import time  # noqa: E402

from lowrank.inputs import input_matrix  # noqa: E402
from lowrank.records import write_matrix, write_svd  # noqa: E402
from lowrank.svd import thin_svd  # noqa: E402

sys.stderr = open(snakemake.log[0], "w")
item = input_matrix(snakemake.wildcards.input, snakemake.params.source)
write_matrix(snakemake.output.matrix, item)
start = time.perf_counter()
decompositions = [thin_svd(channel) for channel in item.matrix]
seconds = time.perf_counter() - start
write_svd(snakemake.output.svd, item.input, decompositions, seconds)
