"""A training job: train one (input, regime) at every rank into a folder.

    python -m lowrank.training.job MATRIX OUTPUT --regime R --ranks JSON
        --settings JSON --backend B --threads N --gpus G --warm-seconds S
        --server-timeout T [--device auto|cpu|gpu] [--gpu-shares N]
        [--gpu-wait S]

The program of the workflow's ``train`` rule, the only step that reaches
Keras/TensorFlow: through a warm training server of this machine
(:mod:`lowrank.training.service.client`) or, with ``--warm-seconds 0`` and inside
SLURM jobs, in this process. A plain program, not a Snakemake ``script:``:
the job's Python then starts without importing Snakemake (0.25 s of CPU,
more than training a small network takes with a warm server).
"""

import argparse
import json
import os
import sys

from lowrank.errors import LowrankError
from lowrank.inputs.cards import left_out_reason
from lowrank.training.device_policy import GPU_HIDING, gpu_expectation
from lowrank.training.gpu_lease import GPU_WAIT, assign_device
from lowrank.training.service.client import ServiceError, run_training


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("matrix", help="the input's matrix record (HDF5)")
    parser.add_argument("output", help="the folder of the records, one per rank")
    parser.add_argument("--regime", required=True)
    parser.add_argument("--ranks", type=json.loads, required=True)
    parser.add_argument("--settings", type=json.loads, required=True)
    parser.add_argument("--backend", choices=("tensorflow", "jax"), required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument(
        "--gpus", type=int, required=True,
        help="GPUs (or GPU shares) Snakemake scheduled this job with",
    )  # fmt: skip
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    parser.add_argument(
        "--gpu-shares", type=int, default=1,
        help="trainings that may lease one GPU at once (training.per_gpu)",
    )  # fmt: skip
    parser.add_argument("--warm-seconds", type=float, required=True)
    parser.add_argument("--server-timeout", type=float, required=True)
    parser.add_argument(
        "--gpu-wait", type=float, default=GPU_WAIT,
        help="seconds to wait for a GPU lease (training.gpu_wait)",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    reason = left_out_reason(args.matrix, args.ranks)
    if reason is not None:
        # Left out (lowrank.inputs.cards): an empty folder, no records.
        os.makedirs(args.output, exist_ok=True)
        print(f"left out: {reason}", flush=True)
        return
    # Before TensorFlow starts: take GPU memory as needed, not all of it at
    # once, and use one GPU of our own when several are shared by concurrent
    # jobs.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = args.backend
    if args.gpus == 0:
        # Snakemake gave this job no GPU: it must not take one from the jobs
        # it did give one (training.device: cpu means the CPU).
        os.environ.update(GPU_HIDING)
    # Held until the job ends.
    lease = assign_device(
        shares=args.gpu_shares,
        timeout=args.gpu_wait,
        log=lambda line: print(line, flush=True),
    )
    leased = lease.device if lease.device is not None else "none"
    print(f"GPU lease: {leased}", flush=True)
    run_training(
        {
            "matrix_path": args.matrix,
            "ranks": args.ranks,
            "regime_name": args.regime,
            "settings": args.settings,
            "gpu": gpu_expectation(args.device, args.gpus),
        },
        args.output,
        threads=args.threads,
        idle_seconds=args.warm_seconds,
        reply_timeout=args.server_timeout,
        log=lambda line: print(line, flush=True),
    )


if __name__ == "__main__":
    try:
        main()
    except (LowrankError, ServiceError) as error:
        # Expected failures (no GPU where one is required, a failed
        # training) end the job with their message, not a traceback.
        sys.exit(f"training failed: {error}")
