"""Train the bottleneck networks of one (input, regime) at every rank.

The only script that imports Keras/TensorFlow. One process trains all ranks,
so the framework starts once per input and regime, not once per network.
"""

import os
import sys

from lowrank.gpu_lease import assign_device

# Before TensorFlow starts: take GPU memory as needed, not all of it at once,
# and use one GPU of our own when several are shared by concurrent jobs.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
GPU_LEASE = assign_device()  # held until the job ends

from lowrank.backend import configure_threads  # noqa: E402
from lowrank.records import network_record_path, read_matrix, write_record  # noqa: E402
from lowrank.training import train_record  # noqa: E402

sys.stderr = sys.stdout = open(snakemake.log[0], "w")
print(f"GPU: {GPU_LEASE.device if GPU_LEASE.device is not None else 'none (CPU)'}")
configure_threads(snakemake.threads)
item = read_matrix(snakemake.input[0])
for rank in snakemake.params.ranks:
    record = train_record(
        item, rank, snakemake.wildcards.regime, snakemake.params.settings
    )
    print(f"rank {rank}: {record.steps} steps, {record.seconds:.2f} s", flush=True)
    write_record(network_record_path(snakemake.output[0], rank), record)
