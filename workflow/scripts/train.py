"""Train the bottleneck network of one (input, rank, regime).

The only script that imports Keras/TensorFlow.
"""

import os
import sys

from lowrank.gpu_lease import assign_device

# Before TensorFlow starts: take GPU memory as needed, not all of it at once,
# and use one GPU of our own when several are shared by concurrent jobs.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
GPU_LEASE = assign_device()  # held until the job ends

from lowrank.records import read_matrix, write_record  # noqa: E402
from lowrank.training import configure_threads, train_record  # noqa: E402

sys.stderr = sys.stdout = open(snakemake.log[0], "w")
print(f"GPU: {GPU_LEASE.device if GPU_LEASE.device is not None else 'none (CPU)'}")
configure_threads(snakemake.threads)
record = train_record(
    read_matrix(snakemake.input[0]),
    int(snakemake.wildcards.rank),
    snakemake.wildcards.regime,
    snakemake.params.settings,
)
print(f"{record.method}: {record.steps} steps, {record.seconds:.2f} s")
write_record(snakemake.output[0], record)
