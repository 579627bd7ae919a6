"""Train the bottleneck networks of one (input, regime) at every rank.

The only script that reaches Keras/TensorFlow, through a warm training server
of this machine (lowrank.training_service) or, with training.warm_seconds 0
and inside SLURM jobs, in this process.
"""

import os
import sys

from lowrank.gpu_lease import assign_device

# Before TensorFlow starts: take GPU memory as needed, not all of it at once,
# and use one GPU of our own when several are shared by concurrent jobs.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
GPU_LEASE = assign_device()  # held until the job ends

from lowrank.training_service import run_training  # noqa: E402

# File descriptors, not only sys.stdout: TensorFlow's C++ start-up lines go to
# the job's log, not the console.
log = open(snakemake.log[0], "w", buffering=1)
os.dup2(log.fileno(), 1)
os.dup2(log.fileno(), 2)
sys.stdout = sys.stderr = log
print(f"GPU: {GPU_LEASE.device if GPU_LEASE.device is not None else 'none (CPU)'}")
run_training(
    {
        "matrix_path": snakemake.input[0],
        "ranks": snakemake.params.ranks,
        "regime_name": snakemake.wildcards.regime,
        "settings": snakemake.params.settings,
    },
    snakemake.output[0],
    threads=snakemake.threads,
    idle_seconds=snakemake.config["training"]["warm_seconds"],
)
