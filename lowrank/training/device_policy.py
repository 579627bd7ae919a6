"""Whether a training ran where the study scheduled it: the warning for a GPU
job that trained on the CPU, and the error where a GPU is required.

``nvidia-smi`` seeing a GPU is not enough: TensorFlow or JAX also needs its
CUDA libraries (the CUDA build the README's set-up installs where it finds a
driver). Without them the framework sees no GPU and trains on the CPU.
"""

import socket

from lowrank.errors import GPUMissingError

# Values of a training request's ``gpu`` field.
GPU_EXPECTATIONS = ("none", "expected", "required")

# The environment of a training that Snakemake gave no GPU: it sees none, so
# it cannot crowd the jobs that were given one.
GPU_HIDING = {"CUDA_VISIBLE_DEVICES": "-1", "JAX_PLATFORMS": "cpu"}

CUDA_BUILD_FIX = (
    'install the CUDA build: make study GPU=1 (README, "Training on a GPU")'
)


def gpu_expectation(device_setting, scheduled_gpus):
    """``"required"`` with ``training.device: gpu``; ``"expected"`` for a job
    that holds a GPU (the ``gpu`` resource, or a share of one); else ``"none"``."""
    if device_setting == "gpu":
        return "required"
    return "expected" if scheduled_gpus > 0 else "none"


def device_warning(expectation, gpus_seen, backend):
    """The warning of a GPU job whose framework (``backend``) sees no GPU,
    "" when there is nothing to say; raises :class:`GPUMissingError` where a
    GPU is required."""
    if expectation == "none" or gpus_seen > 0:
        return ""
    if expectation == "required":
        raise GPUMissingError(
            f"training.device is gpu, but {backend} sees no GPU on "
            f"{socket.gethostname()}; {CUDA_BUILD_FIX}"
        )
    return (
        f"scheduled as a GPU job, but {backend} sees no GPU: trained on the CPU; "
        f"{CUDA_BUILD_FIX}"
    )
