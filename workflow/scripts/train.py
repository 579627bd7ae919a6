"""Train the bottleneck network of one (input, rank, regime).

The only script that imports Keras/TensorFlow.
"""

import os
import sys

# Before TensorFlow starts: take GPU memory as needed, not all of it at once.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lowrank.records import read_matrix, write_record  # noqa: E402
from lowrank.training import configure_threads, train_record  # noqa: E402

sys.stderr = sys.stdout = open(snakemake.log[0], "w")
configure_threads(snakemake.threads)
record = train_record(
    read_matrix(snakemake.input[0]),
    int(snakemake.wildcards.rank),
    snakemake.wildcards.regime,
    snakemake.params.settings,
)
print(f"{record.method}: {record.steps} steps, {record.seconds:.2f} s")
write_record(snakemake.output[0], record)
