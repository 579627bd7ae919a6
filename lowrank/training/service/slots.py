"""Server slots: which warm training server a job talks to, and starting it.

A slot is an exclusive ``flock`` on ``<key>-<slot>.lock`` in the user's
private runtime folder (:mod:`lowrank.runtime_folder`), the first slot free,
so concurrent jobs get different slots and servers. ``key`` digests what a
server must share with a job (:func:`service_key`). Starting a server is
serialised per slot, so one socket path never has two servers. The protocol
spoken over the socket is :mod:`lowrank.training.service.client`'s.
"""

import contextlib
import fcntl
import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from lowrank.runtime_folder import (
    open_private,
    private_temp_environment,
    runtime_folder,
)
from lowrank.training.compilation_cache import share_compilations
from lowrank.training.device_policy import GPU_HIDING
from lowrank.training.gpu_lease import try_lock

# The lowrank package this server runs: a server serves only jobs of the same
# source (not the provenance module's job: a training job's digest must not
# include the workflow's digest code).
PACKAGE_DIR = Path(__file__).resolve().parents[2]

SERVER = "lowrank.training.service.server:main"
START_TIMEOUT = 120.0
# A slot's log is kept to this size: the runtime folder may be RAM-backed
# (/run/user), and a server's log grows with every request it serves.
LOG_LIMIT_BYTES = 1 << 20
# Logs of servers nobody started for this long are removed: each code
# version has servers (and logs) of its own.
LOG_AGE_LIMIT_SECONDS = 7 * 24 * 3600


class ServiceError(RuntimeError):
    """The training server reported a failed training."""


class ServiceUnavailable(ServiceError):
    """The training server refused, reset, died or went silent: the job can
    train in its own process instead."""


def package_digest():
    """SHA-256 over every lowrank source file, without parsing any: cheaper
    than :func:`lowrank.provenance.source_digest` (2 ms against 60-80 ms
    here), for a check made by every job rather than once per study."""
    digest = hashlib.sha256()
    for file in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(str(file.relative_to(PACKAGE_DIR)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def service_key(threads, environ=os.environ):
    """What a server must share with a job to serve it, as a short digest."""
    parts = [
        sys.executable,
        package_digest(),
        str(threads),
        environ.get("CUDA_VISIBLE_DEVICES", "*"),
        environ.get("KERAS_BACKEND", ""),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def servers_used(idle_seconds, environ=os.environ):
    """Whether training jobs here go to warm servers: not with
    ``idle_seconds`` 0, nor inside a SLURM job (whose processes the cluster
    ends with the job)."""
    return idle_seconds > 0 and "SLURM_JOB_ID" not in environ


@contextlib.contextmanager
def leased_slot(key):
    folder = runtime_folder()
    slot = 0
    while (handle := try_lock(open_private(folder / f"{key}-{slot}.lock"))) is None:
        slot += 1
    with handle:
        yield slot


def slot_paths(key, slot):
    stem = runtime_folder() / f"{key}-{slot}"
    return {
        "socket": f"{stem}.sock",
        "log": f"{stem}.log",
        "start_lock": f"{stem}.start",
    }


def prestart(threads, idle_seconds, count, hidden_gpus=False):
    """Start the servers of slots 0 .. ``count`` - 1 that have none.

    A study calls this when it begins, so that TensorFlow loads while the
    first inputs are still being converted and decomposed; a training job
    then finds its server warm, or loading. Returns the number started
    (none where :func:`servers_used` is false).
    """
    if not servers_used(idle_seconds):
        return 0
    # A copy: a study calls this in a thread of the Snakemake process, whose
    # own environment must not change while it starts programs (a putenv
    # beside an exec can hand the exec a freed environment: EFAULT).
    environ = {**os.environ, **(GPU_HIDING if hidden_gpus else {})}
    private_temp_environment(environ)
    share_compilations(environ)
    key = service_key(threads, environ)
    started = 0
    for slot in range(count):
        connection, server = connect_or_start(
            slot_paths(key, slot), threads, idle_seconds, environ
        )
        connection.close()
        started += server is not None
    return started


def connect_or_start(paths, threads, idle_seconds, environ=None):
    """(connection, the server process if this call started it, else None)."""
    with _starting(paths):
        connection = _try_connect(paths["socket"])
        if connection is not None:
            return connection, None
        server = _start_server(paths, threads, idle_seconds, environ)
        return _await_listening(paths, server), server


@contextlib.contextmanager
def _starting(paths):
    """Only one process at a time checks for and starts a slot's server: two
    servers on one socket path would leave one of them unreachable."""
    with os.fdopen(open_private(paths["start_lock"]), "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _start_server(paths, threads, idle_seconds, environ=None):
    # The working directory "/" holds nothing a neighbour can plant; the
    # server runs this job's own lowrank, the code service_key digests.
    rotate_log(paths["log"])
    prune_old_logs(Path(paths["log"]).parent)
    log = open_private(paths["log"], os.O_WRONLY | os.O_APPEND)
    try:
        return subprocess.Popen(
            [*isolated_python(SERVER),
             "--socket", paths["socket"], "--threads", str(threads),
             "--idle-seconds", str(idle_seconds)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, cwd="/", env=environ,
        )  # fmt: skip
    finally:
        os.close(log)


def rotate_log(path, limit=LOG_LIMIT_BYTES):
    """Move a log of more than ``limit`` bytes to ``<path>.old`` (replacing
    the one before), so that a slot keeps at most two logs' worth."""
    with contextlib.suppress(FileNotFoundError):
        if os.lstat(path).st_size > limit:
            os.replace(path, f"{path}.old")


def prune_old_logs(folder, age=LOG_AGE_LIMIT_SECONDS):
    """Remove the server logs in ``folder`` not written for ``age`` seconds
    (locks and sockets stay: a lock's age says nothing of its use)."""
    oldest = time.time() - age
    for entry in os.scandir(folder):
        if entry.name.endswith((".log", ".log.old")):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < oldest:
                    os.unlink(entry.path)


def isolated_python(entry_point):
    """The command that runs ``"module:function"`` of this job's own lowrank
    in a Python that imports nothing else from where it runs (``-I``)."""
    module, function = entry_point.split(":")
    program = (
        f"import sys; sys.path.insert(0, {str(PACKAGE_DIR.parent)!r}); "
        f"from {module} import {function}; {function}()"
    )
    return [sys.executable, "-I", "-c", program]


def _await_listening(paths, server):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        connection = _try_connect(paths["socket"])
        if connection is not None:
            return connection
        if server.poll() is not None:
            break
        time.sleep(0.02)
    raise ServiceUnavailable("the training server did not start")


def _try_connect(path):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    return connection
