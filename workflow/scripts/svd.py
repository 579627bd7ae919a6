"""One thin SVD per channel of an input."""

import sys
import time

from lowrank.records import read_matrix, write_svd
from lowrank.svd import thin_svd

sys.stderr = open(snakemake.log[0], "w")
item = read_matrix(snakemake.input[0])
start = time.perf_counter()
decompositions = [thin_svd(channel) for channel in item.matrix]
write_svd(snakemake.output[0], item.input, decompositions, time.perf_counter() - start)
