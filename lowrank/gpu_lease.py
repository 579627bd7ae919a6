"""One GPU per training job on a machine with several.

Snakemake's ``gpu`` resource counts GPUs but does not say which one a job
gets, so concurrent training jobs would all start on GPU 0. Before TensorFlow
starts, a training job calls :func:`assign_device`: it takes an exclusive
``flock`` on one lock file per device in a node-local folder and narrows
``CUDA_VISIBLE_DEVICES`` to that device. The kernel drops the lock when the
process ends, however it ends (SIGKILL included), so a lease cannot leak.

With one visible device or none (a SLURM job sees only the GPU it was given;
a CPU machine sees none) there is nothing to share and no lease is taken.
"""

import fcntl
import os
import subprocess
import tempfile
import time
from pathlib import Path

LEASE_DIR = Path(tempfile.gettempdir()) / f"lowrank-gpu-leases-{os.getuid()}"


class Lease:
    """A held device; ``handle`` is the locked file (None when nothing is shared).

    A plain class, not a dataclass: every training job imports this module,
    and ``dataclasses`` costs 20 ms of its start.
    """

    def __init__(self, device, handle=None):
        self.device = device
        self.handle = handle

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def count_nvidia_gpus():
    """Number of GPUs ``nvidia-smi -L`` lists (0 without a driver)."""
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(line.startswith("GPU ") for line in listing.stdout.splitlines())


def visible_devices(environ=os.environ, probe=count_nvidia_gpus):
    """Device ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else all."""
    value = environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return [str(index) for index in range(probe())]
    return [d.strip() for d in value.split(",") if d.strip() and d.strip() != "-1"]


def try_lock(path):
    """The open file ``path`` with an exclusive ``flock`` on it, or None when
    another process holds it. The lock lasts until the file is closed or the
    process ends."""
    handle = open(path, "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def lease_device(devices, lease_dir=LEASE_DIR, timeout=3600.0, poll=0.5):
    """Hold one of ``devices`` exclusively among processes on this machine.

    Waits (polling every ``poll`` seconds) while all are held; raises
    TimeoutError after ``timeout`` seconds, naming the lease folder.
    """
    if len(devices) <= 1:
        return Lease(devices[0] if devices else None)
    lease_dir = Path(lease_dir)
    lease_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        for device in devices:
            handle = try_lock(lease_dir / f"gpu-{device}.lock")
            if handle is None:
                continue
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            return Lease(device, handle)
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"all GPUs {devices} stayed leased for {timeout:.0f} s (lock files in "
                f"{lease_dir}); is --resources gpu=N above the number of GPUs?"
            )
        time.sleep(poll)


def assign_device(environ=os.environ, lease_dir=LEASE_DIR, timeout=3600.0):
    """Lease a device and restrict ``environ['CUDA_VISIBLE_DEVICES']`` to it.

    Call before TensorFlow is imported; keep the returned lease alive for as
    long as the GPU is used (normally the whole process).
    """
    lease = lease_device(visible_devices(environ), lease_dir, timeout)
    if lease.device is not None:
        environ["CUDA_VISIBLE_DEVICES"] = lease.device
    return lease
