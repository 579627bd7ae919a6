"""One GPU per training job on a machine with several.

Snakemake's ``gpu`` resource counts GPUs but does not say which one a job
gets, so concurrent training jobs would all start on GPU 0. Before TensorFlow
starts, a training job calls :func:`assign_device`: it takes an exclusive
``flock`` on one lock file per device in a node-local folder and narrows
``CUDA_VISIBLE_DEVICES`` to that device. The kernel drops the lock when the
process ends, however it ends (SIGKILL included), so a lease cannot leak.

With one visible device or none (a SLURM job sees only the GPU it was given;
a CPU machine sees none) there is nothing to share and no lease is taken.

Every user of the machine leases from the same lock files, in ``/tmp``
itself (sticky, so nobody can replace another's file; ``LOWRANK_GPU_LEASE_DIR``
names another such folder): two users' studies must not both take GPU 0.
Not ``$TMPDIR``, which is often per user, and which a study points into its
private runtime folder. Lock files are opened read-only, without following
links, and never written, so a planted name can truncate nothing; a lock file
that cannot be opened (a planted link, another user's unreadable file) only
takes its device out of the choice. A job that waits says, once and again
whenever it changes, who holds the leases (pid and user, from
``/proc/locks``), and waits at most ``training.gpu_wait`` seconds.

On a machine where not everyone should touch the leases, a trusted group
can have a folder of its own: owned by root, group-writable and sticky (for
example ``install -d -m 1770 -o root -g gpuusers /var/lib/lowrank-gpu``),
named by ``LOWRANK_GPU_LEASE_DIR`` in each member's environment.
"""

import fcntl
import functools
import os
import pwd
import stat
import subprocess
import sys
import time
from pathlib import Path

from lowrank.runtime_folder import RuntimeFolderError, check_shared_folder

LEASE_DIR = Path(os.environ.get("LOWRANK_GPU_LEASE_DIR", "/tmp"))
GPU_WAIT = 900.0  # seconds, default of training.gpu_wait


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


@functools.cache
def nvidia_gpu_listing():
    """The GPU lines of ``nvidia-smi -L``, one per GPU ("" without a driver).

    Asked once per process: planning a study needs it for the GPU count and
    for the framework probe's key, and each call starts the driver's tool.
    """
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    gpus = [line for line in listing.stdout.splitlines() if line.startswith("GPU ")]
    return "\n".join(gpus)


def count_nvidia_gpus():
    """Number of GPUs ``nvidia-smi -L`` lists (0 without a driver)."""
    listing = nvidia_gpu_listing()
    return listing.count("\n") + 1 if listing else 0


def visible_devices(environ=os.environ, probe=count_nvidia_gpus):
    """Device ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else all."""
    value = environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return [str(index) for index in range(probe())]
    return [d.strip() for d in value.split(",") if d.strip() and d.strip() != "-1"]


def try_lock(descriptor):
    """The file ``descriptor`` (closed with it) with an exclusive ``flock``
    on it, or None when another process holds the lock. The lock lasts until
    the file is closed or the process ends."""
    handle = os.fdopen(descriptor, "rb", buffering=0)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def open_shared_lock(path):
    """A read-only descriptor of the lock file ``path`` in a shared folder,
    created readable by all where missing (``flock`` needs no write access).

    Raises PermissionError where another user's file at ``path`` cannot be
    opened, and :class:`RuntimeFolderError` where it is no regular file.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    while True:
        try:
            descriptor = os.open(path, flags)
            break
        except FileNotFoundError:
            # Open first and create second: in a sticky folder the kernel
            # refuses O_CREAT on another user's existing file.
            try:
                descriptor = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            os.fchmod(descriptor, 0o644)  # whatever the umask
            break
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise RuntimeFolderError(f"GPU lease file {path} is not a regular file")
    return descriptor


def lease_file(lease_dir, device, share):
    """The lock file of one share of ``device`` (share 0: ``lowrank-gpu-<id>``)."""
    suffix = f"-{share}" if share else ""
    return Path(lease_dir) / f"lowrank-gpu-{device}{suffix}.lock"


def lease_device(
    devices, lease_dir=LEASE_DIR, timeout=GPU_WAIT, poll=0.5, shares=1, log=None
):
    """Hold one of ``shares`` leases of one of ``devices`` among processes on
    this machine (``training.per_gpu``): the first share of every device
    before the second of any, so that jobs spread over the GPUs. A lock file
    that cannot be opened takes its share out of the choice.

    Waits (polling every ``poll`` seconds) while all are held or unusable,
    saying why through ``log`` (default: standard error) whenever that
    changes; raises TimeoutError after ``timeout`` seconds with the same.
    """
    if len(devices) <= 1:
        return Lease(devices[0] if devices else None)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    lease_dir = Path(lease_dir)
    check_shared_folder(lease_dir)
    deadline = time.monotonic() + timeout
    said = None
    while True:
        unusable, held = [], []
        for share, device in ((s, d) for s in range(shares) for d in devices):
            path = lease_file(lease_dir, device, share)
            try:
                handle = try_lock(open_shared_lock(path))
            except OSError as error:  # a planted link (ELOOP), no permission
                unusable.append(f"{path.name} unusable ({error.strerror or error})")
                continue
            if handle is not None:
                return Lease(device, handle)
            held.append(path)
        holders = flock_holders() if held else {}  # one read of the table a round
        reasons = unusable + [
            f"{path.name} held by {_named(holders.get(_lock_key(path), []))}"
            for path in held
        ]
        why = f"every GPU lease in {lease_dir} is taken: {'; '.join(reasons)}"
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{why}; waited {timeout:.0f} s (training.gpu_wait). Is "
                f"--resources gpu=N above the number of GPUs?"
            )
        if why != said:
            log(f"waiting for a GPU: {why}")
            said = why
        time.sleep(poll)


def flock_holders(locks="/proc/locks"):
    """``device:inode`` (as the kernel writes it) -> the pids holding a
    ``flock`` on that file, from the kernel's table of locks; empty where it
    cannot be read."""
    try:
        table = Path(locks).read_text()
    except OSError:
        return {}
    holders = {}
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK":
            holders.setdefault(fields[5], []).append(fields[4])
    return holders


def _lock_key(path):
    """``path``'s ``device:inode`` as /proc/locks writes it ("" if gone)."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return ""
    return f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"


def _named(pids):
    """ "pid 12 (user ann), ..." of ``pids``, or who we cannot tell."""
    named = [f"pid {pid} (user {_process_user(pid)})" for pid in pids]
    return ", ".join(named) or "another process"


def _process_user(pid):
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return "unknown"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def assign_device(
    environ=os.environ, lease_dir=LEASE_DIR, timeout=GPU_WAIT, shares=1, log=None
):
    """Lease a device (one of its ``shares``) and restrict
    ``environ['CUDA_VISIBLE_DEVICES']`` to it.

    Call before TensorFlow is imported; keep the returned lease alive for as
    long as the GPU is used (normally the whole process).
    """
    lease = lease_device(
        visible_devices(environ), lease_dir, timeout, shares=shares, log=log
    )
    if lease.device is not None:
        environ["CUDA_VISIBLE_DEVICES"] = lease.device
    return lease
