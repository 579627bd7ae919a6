"""Whether the training framework can use this machine's GPUs, asked once.

``nvidia-smi`` lists GPUs wherever a driver is installed, but TensorFlow and
JAX compute on one only with their CUDA libraries. Snakemake must not load
TensorFlow (seconds per start), so a fresh Python asks the framework; the
answer is kept in the private runtime folder, under a key that changes when
the interpreter, its installed packages, the backend, the driver's listing or
``CUDA_VISIBLE_DEVICES`` change. On a machine without ``nvidia-smi`` nothing
is asked: no GPU.
"""

import hashlib
import json
import os
import subprocess
import sys
import sysconfig

from lowrank.runtime_folder import open_private, runtime_folder
from lowrank.training.gpu_lease import nvidia_gpu_listing

PROBE_TIMEOUT = 300.0


class GPUNotUsableWarning(UserWarning):
    """nvidia-smi lists GPUs the training framework cannot use."""


def framework_gpus(backend, environ=os.environ, listing=nvidia_gpu_listing):
    """(GPUs the framework ``backend`` sees here, why it sees none or "")."""
    gpus = listing()
    if not gpus:
        return 0, ""
    path = runtime_folder(environ) / f"gpu-probe-{_probe_key(backend, gpus, environ)}"
    try:
        with os.fdopen(open_private(path, os.O_RDONLY), "rb") as handle:
            answer = json.loads(handle.read() or b"null")
    except (OSError, ValueError):
        answer = None
    if not isinstance(answer, list) or len(answer) != 2:
        answer = list(_ask_framework(backend, environ))
        with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "wb") as handle:
            handle.write(json.dumps(answer).encode())
    return answer[0], answer[1]


def _probe_key(backend, gpus, environ):
    packages = os.stat(sysconfig.get_paths()["purelib"]).st_mtime_ns
    parts = [
        sys.executable, str(packages), backend, gpus,
        environ.get("CUDA_VISIBLE_DEVICES", "*"),
    ]  # fmt: skip
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _ask_framework(backend, environ):
    """Import ``backend`` in a fresh Python and count the GPUs it sees."""
    from lowrank.training.service.slots import isolated_python

    try:
        answer = subprocess.run(
            isolated_python("lowrank.training.gpu_probe:print_gpus_seen"),
            capture_output=True, text=True, timeout=PROBE_TIMEOUT, cwd="/",
            env={**environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return 0, f"asking {backend} for GPUs took over {PROBE_TIMEOUT:.0f} s"
    lines = answer.stdout.split()
    if answer.returncode != 0 or not lines or not lines[-1].isdigit():
        tail = answer.stderr.strip().splitlines()[-1:] or ["no output"]
        return 0, f"asking {backend} for GPUs failed: {tail[0]}"
    return int(lines[-1]), ""


def print_gpus_seen():
    """The probe's program: print how many GPUs the Keras backend sees."""
    from lowrank.training.backend import gpus_seen

    print(gpus_seen())
