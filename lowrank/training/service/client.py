"""A warm training process per machine slot, so TensorFlow starts once per study.

Importing TensorFlow costs about 5 s here (seconds more to initialise CUDA on
a GPU), more than training a small network takes. A training job therefore
hands its work to a local server that has Keras loaded already:

- Everything lives in the user's private runtime folder
  (:mod:`lowrank.runtime_folder`), checked before each use; its files are
  opened without following links or truncating.
- The job leases a slot: an exclusive ``flock`` on ``<key>-<slot>.lock`` in
  that folder, the first slot free. Concurrent jobs get different
  slots, each slot has its own server, so jobs still train side by side. The
  kernel drops the lock when the job ends, however it ends.
- ``key`` digests the Python interpreter, every lowrank source file, the
  thread count and the visible GPU: a job never talks to a server with other
  code or another device.
- The job connects to ``<key>-<slot>.sock``, starting the server first if
  none answers (under a lock per slot, so one server per socket). A server
  listens before it loads Keras; requests wait while it loads, so a study
  can start servers when it begins (:func:`prestart`). The server trains
  every rank, writes the records into a temporary folder the job named, and
  streams one line per rank back; the job renames the folder into place only
  when all ranks are done, so a killed job leaves no result (the server
  notices the closed socket at the next rank and deletes the folder). The
  server itself is :mod:`lowrank.training.service.server`.
- A server that refuses, resets, dies or stays silent for ``reply_timeout``
  seconds costs speed, not the study: the job asks again once, then trains
  in its own process and says so in its log, quoting the server's log.
- Servers and jobs share XLA's compilations through a persistent cache in
  the same folder (:mod:`lowrank.training.compilation_cache`).
- A server exits after ``idle_seconds`` without a request. Its output
  (TensorFlow's C++ start-up lines among it) goes to ``<key>-<slot>.log``,
  not to the console.

Messages are JSON lines. Request: the arguments of
:func:`lowrank.training.train.train_ranks`. Replies: ``{"log": text}`` per rank, then
``{"done": true}`` or ``{"error": text}``.

:func:`run_training` is the entry point of a training job; with
``idle_seconds`` 0, or inside a SLURM job, it trains in its own process.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from lowrank.provenance import PACKAGE_DIR, package_digest
from lowrank.runtime_folder import (
    open_private,
    private_temp_environment,
    runtime_folder,
)
from lowrank.training.compilation_cache import (
    clear_compilations,
    is_cache_failure,
    share_compilations,
    stop_sharing_compilations,
)
from lowrank.training.device_policy import GPU_HIDING
from lowrank.training.gpu_lease import try_lock

SERVER = "lowrank.training.service.server:main"
FRESH_TRAINING = "lowrank.training.service.client:train_in_this_process"
START_TIMEOUT = 120.0
REPLY_TIMEOUT = 600.0
LOG_TAIL_BYTES = 2000


class ServiceError(RuntimeError):
    """The training server reported a failed training."""


class ServiceUnavailable(ServiceError):
    """The training server refused, reset, died or went silent: the job can
    train in its own process instead."""


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


def run_training(
    request, output, threads, idle_seconds, log=print, reply_timeout=REPLY_TIMEOUT
):
    """Train ``request`` into the folder ``output``, complete or not at all.

    ``request`` holds the arguments of :func:`lowrank.training.train.train_ranks`
    but ``folder``. With ``idle_seconds`` > 0 a warm server of this machine
    trains it; with 0, inside a SLURM job (whose processes the cluster ends
    with the job), or when the server fails twice, this process does. ``log``
    receives a line per rank. Raises :class:`ServiceError` or the training's
    own error on failure.
    """
    folder = Path(f"{output}.tmp-{os.getpid()}").absolute()
    shutil.rmtree(folder, ignore_errors=True)
    private_temp_environment()
    share_compilations()
    try:
        _train_somewhere(request, folder, threads, idle_seconds, reply_timeout, log)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(output, ignore_errors=True)
    os.replace(folder, output)


def _train_somewhere(request, folder, threads, idle_seconds, reply_timeout, log):
    """Through the slot's server where servers are used and it works, else in
    this process; after a failure of the XLA cache, without the cache."""
    try:
        if servers_used(idle_seconds) and _train_in_service(
            request, folder, threads, idle_seconds, reply_timeout, log
        ):
            return
        _train_here(request, folder, threads, log)
    except Exception as error:
        if not is_cache_failure(str(error)):
            raise
        shutil.rmtree(folder, ignore_errors=True)
        _train_without_cache(request, folder, threads, error, log)


def _train_without_cache(request, folder, threads, error, log):
    """Train once more after a cache failure, with the cache emptied and
    switched off: in this process where TensorFlow is not loaded yet (it
    reads the cache setting once), else in a fresh one."""
    removed = clear_compilations()
    stop_sharing_compilations()
    here = "tensorflow" not in sys.modules
    log(
        f"XLA compilation cache failed ({str(error).strip().splitlines()[-1]}); "
        f"removed its {removed} entries and training without it in "
        + ("this process" if here else "a fresh process")
    )
    if here:
        _train_here(request, folder, threads, log)
    else:
        _train_in_fresh_process(request, folder, threads, log)


def _train_in_fresh_process(request, folder, threads, log):
    arguments = [json.dumps(request), str(folder), str(threads)]
    child = subprocess.Popen(
        [*isolated_python(FRESH_TRAINING), *arguments],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    for line in child.stdout:
        log(line.rstrip("\n"))
    if child.wait() != 0:
        raise ServiceError(
            f"training in a fresh process failed (exit status {child.returncode})"
        )


def servers_used(idle_seconds, environ=os.environ):
    """Whether training jobs here go to warm servers: not with
    ``idle_seconds`` 0, nor inside a SLURM job (whose processes the cluster
    ends with the job)."""
    return idle_seconds > 0 and "SLURM_JOB_ID" not in environ


def _train_here(request, folder, threads, log):
    from lowrank.training.backend import configure_threads
    from lowrank.training.train import train_ranks

    configure_threads(threads)
    folder.mkdir(parents=True)
    for line in train_ranks(folder=folder, **request):
        log(line)


def _train_in_service(request, folder, threads, idle_seconds, reply_timeout, log):
    """Train through the slot's server; False where it failed twice."""
    # The server runs in another folder: absolute paths only.
    matrix_path = str(Path(request["matrix_path"]).absolute())
    request = {**request, "matrix_path": matrix_path, "folder": str(folder)}
    key = service_key(threads)
    with _leased_slot(key) as slot:
        paths = _paths(key, slot)
        for attempt in (1, 2):
            try:
                _request(paths, request, threads, idle_seconds, reply_timeout, log)
                return True
            except ServiceUnavailable as failure:
                shutil.rmtree(folder, ignore_errors=True)  # a dead server's part
                log(f"training server: {failure} (attempt {attempt} of 2)")
    log(
        f"training server: unavailable, training in this process instead; "
        f"the end of {paths['log']}:\n{_log_tail(paths['log'])}"
    )
    return False


def _request(paths, request, threads, idle_seconds, reply_timeout, log):
    """Send ``request`` to the slot's server and relay its replies.

    Raises :class:`ServiceUnavailable` when the server cannot be reached,
    closes, resets or stays silent, :class:`ServiceError` when it reports a
    failed training.
    """
    try:
        connection = _connect(paths, threads, idle_seconds, log)
        connection.settimeout(reply_timeout)
        with connection, connection.makefile("rwb") as stream:
            _send(stream, **request)
            for line in stream:
                reply = json.loads(line)
                if "log" in reply:
                    log(reply["log"])
                elif reply.get("done"):
                    return
                else:
                    raise ServiceError(reply.get("error", f"unexpected reply {reply}"))
    except TimeoutError:
        raise ServiceUnavailable(f"no reply for {reply_timeout:.0f} s") from None
    except (OSError, ValueError) as error:
        raise ServiceUnavailable(f"{type(error).__name__}: {error}") from None
    raise ServiceUnavailable("the server closed the connection before it was done")


def _log_tail(path):
    """The last lines of a server's log, or why there are none."""
    try:
        descriptor = open_private(path, os.O_RDONLY)
    except OSError as error:
        return f"(unreadable: {error})"
    with os.fdopen(descriptor, "rb") as handle:
        handle.seek(max(0, os.fstat(descriptor).st_size - LOG_TAIL_BYTES))
        return handle.read().decode(errors="replace")


@contextlib.contextmanager
def _leased_slot(key):
    folder = runtime_folder()
    slot = 0
    while (handle := try_lock(open_private(folder / f"{key}-{slot}.lock"))) is None:
        slot += 1
    with handle:
        yield slot


def _paths(key, slot):
    stem = runtime_folder() / f"{key}-{slot}"
    return {
        "socket": f"{stem}.sock",
        "log": f"{stem}.log",
        "start_lock": f"{stem}.start",
    }


def _connect(paths, threads, idle_seconds, log):
    """A connection to the slot's server, started here if none answers.

    A server listens before it imports Keras, so the connection is made at
    once and the request waits while a new (or prestarted) server loads.
    """
    connection, server = _connect_or_start(paths, threads, idle_seconds)
    if server is None:
        log(f"training server: warm ({paths['log']})")
    else:
        log(f"training server: started, pid {server.pid} ({paths['log']})")
    return connection


def prestart(threads, idle_seconds, count, hidden_gpus=False):
    """Start the servers of slots 0 .. ``count`` - 1 that have none.

    A study calls this when it begins, so that TensorFlow loads while the
    first inputs are still being converted and decomposed; a training job
    then finds its server warm, or loading. Returns the number started
    (none where :func:`servers_used` is false).
    """
    if not servers_used(idle_seconds):
        return 0
    private_temp_environment()
    share_compilations()
    environ = {**os.environ, **(GPU_HIDING if hidden_gpus else {})}
    key = service_key(threads, environ)
    started = 0
    for slot in range(count):
        connection, server = _connect_or_start(
            _paths(key, slot), threads, idle_seconds, environ
        )
        connection.close()
        started += server is not None
    return started


def _connect_or_start(paths, threads, idle_seconds, environ=None):
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


def _send(stream, **message):
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def train_in_this_process():
    """The program of :func:`_train_in_fresh_process`: REQUEST FOLDER THREADS."""
    request, folder, threads = sys.argv[1:]
    _train_here(json.loads(request), Path(folder), int(threads), print)
