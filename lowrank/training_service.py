"""A warm training process per machine slot, so TensorFlow starts once per study.

Importing TensorFlow costs about 5 s here (seconds more to initialise CUDA on
a GPU), more than training a small network takes. A training job therefore
hands its work to a local server that has Keras loaded already:

- The job leases a slot: an exclusive ``flock`` on ``<key>-<slot>.lock`` in a
  node-local folder, the first slot free. Concurrent jobs get different
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
  notices the closed socket at the next rank and deletes the folder).
- Servers and jobs share XLA's compilations through a persistent cache in
  the same folder (:func:`share_compilations`).
- A server exits after ``idle_seconds`` without a request. Its output
  (TensorFlow's C++ start-up lines among it) goes to ``<key>-<slot>.log``,
  not to the console.

Messages are JSON lines. Request: the arguments of
:func:`lowrank.training.train_ranks`. Replies: ``{"log": text}`` per rank, then
``{"done": true}`` or ``{"error": text}``.

:func:`run_training` is the entry point of a training job; with
``idle_seconds`` 0, or inside a SLURM job, it trains in its own process.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from lowrank.gpu_lease import try_lock
from lowrank.provenance import package_digest

SERVICE_DIR = Path(tempfile.gettempdir()) / f"lowrank-training-{os.getuid()}"
START_TIMEOUT = 120.0


class ServiceError(RuntimeError):
    """The training server failed or stopped during a request."""


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


def run_training(request, output, threads, idle_seconds, log=print):
    """Train ``request`` into the folder ``output``, complete or not at all.

    ``request`` holds the arguments of :func:`lowrank.training.train_ranks`
    but ``folder``. With ``idle_seconds`` > 0 a warm server of this machine
    trains it; with 0, or inside a SLURM job (whose processes the cluster ends
    with the job), this process does. ``log`` receives a line per rank.
    Raises :class:`ServiceError` or the training's own error on failure.
    """
    folder = Path(f"{output}.tmp-{os.getpid()}").absolute()
    shutil.rmtree(folder, ignore_errors=True)
    share_compilations()
    if servers_used(idle_seconds):
        # The server runs in another folder: absolute paths only.
        matrix_path = str(Path(request["matrix_path"]).absolute())
        request = {**request, "matrix_path": matrix_path, "folder": str(folder)}
        _train_in_service(request, threads, idle_seconds, log)
    else:
        _train_here(request, folder, threads, log)
    shutil.rmtree(output, ignore_errors=True)
    os.replace(folder, output)


def servers_used(idle_seconds, environ=os.environ):
    """Whether training jobs here go to warm servers: not with
    ``idle_seconds`` 0, nor inside a SLURM job (whose processes the cluster
    ends with the job)."""
    return idle_seconds > 0 and "SLURM_JOB_ID" not in environ


def _train_here(request, folder, threads, log):
    from lowrank.backend import configure_threads
    from lowrank.training import train_ranks

    configure_threads(threads)
    folder.mkdir(parents=True)
    try:
        for line in train_ranks(folder=folder, **request):
            log(line)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _train_in_service(request, threads, idle_seconds, log):
    key = service_key(threads)
    with _leased_slot(key) as slot:
        paths = _paths(key, slot)
        # A server that timed out just as we connected closes without a
        # word: then ask a new one, once.
        for _ in range(2):
            if _request(paths, request, threads, idle_seconds, log):
                return
    raise ServiceError(
        f"the training server closed the connection twice without a reply; "
        f"see {paths['log']}"
    )


def _request(paths, request, threads, idle_seconds, log):
    """Send ``request`` to the slot's server and relay its replies.

    Returns False when the server closed the connection before replying at
    all; raises :class:`ServiceError` when it failed or stopped midway.
    """
    connection = _connect(paths, threads, idle_seconds, log)
    with connection, connection.makefile("rwb") as stream:
        _send(stream, **request)
        replied = False
        for line in stream:
            replied = True
            reply = json.loads(line)
            if "log" in reply:
                log(reply["log"])
            elif reply.get("done"):
                return True
            else:
                raise ServiceError(reply.get("error", f"unexpected reply {reply}"))
    if replied:
        raise ServiceError(
            f"the training server stopped during the request; see {paths['log']}"
        )
    return False


def share_compilations(environ=os.environ):
    """Let every training process of this machine reuse XLA's compilations.

    TensorFlow keeps compiled loops in ``SERVICE_DIR/xla-cache`` (a few
    hundred kB per shape and setting), so a server or job that meets a shape
    another one compiled skips about a second of compiling. Call before
    TensorFlow is imported; servers inherit it.
    """
    flag = f"--tf_xla_persistent_cache_directory={SERVICE_DIR / 'xla-cache'}"
    flags = environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" not in flags:
        environ["TF_XLA_FLAGS"] = f"{flags} {flag}".strip()


@contextlib.contextmanager
def _leased_slot(key):
    SERVICE_DIR.mkdir(parents=True, exist_ok=True)
    slot = 0
    while (handle := try_lock(SERVICE_DIR / f"{key}-{slot}.lock")) is None:
        slot += 1
    with handle:
        yield slot


def _paths(key, slot):
    stem = SERVICE_DIR / f"{key}-{slot}"
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


def prestart(threads, idle_seconds, count):
    """Start the servers of slots 0 .. ``count`` - 1 that have none.

    A study calls this when it begins, so that TensorFlow loads while the
    first inputs are still being converted and decomposed; a training job
    then finds its server warm, or loading. Returns the number started
    (none where :func:`servers_used` is false).
    """
    if not servers_used(idle_seconds):
        return 0
    share_compilations()
    key = service_key(threads)
    started = 0
    for slot in range(count):
        connection, server = _connect_or_start(_paths(key, slot), threads, idle_seconds)
        connection.close()
        started += server is not None
    return started


def _connect_or_start(paths, threads, idle_seconds):
    """(connection, the server process if this call started it, else None)."""
    with _starting(paths):
        connection = _try_connect(paths["socket"])
        if connection is not None:
            return connection, None
        server = _start_server(paths, threads, idle_seconds)
        return _await_listening(paths, server), server


@contextlib.contextmanager
def _starting(paths):
    """Only one process at a time checks for and starts a slot's server: two
    servers on one socket path would leave one of them unreachable."""
    SERVICE_DIR.mkdir(parents=True, exist_ok=True)
    with open(paths["start_lock"], "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _start_server(paths, threads, idle_seconds):
    with open(paths["log"], "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "lowrank.training_service",
             "--socket", paths["socket"], "--threads", str(threads),
             "--idle-seconds", str(idle_seconds)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            start_new_session=True, cwd=SERVICE_DIR,
        )  # fmt: skip


def _await_listening(paths, server):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        connection = _try_connect(paths["socket"])
        if connection is not None:
            return connection
        if server.poll() is not None:
            break
        time.sleep(0.02)
    raise ServiceError(f"the training server did not start; see {paths['log']}")


def _try_connect(path):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    return connection


def serve(socket_path, threads, idle_seconds):
    """Answer training requests on ``socket_path`` until idle for a while.

    Listens first and loads Keras after: requests queue while it loads.
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen()
    try:
        from lowrank.backend import configure_threads
        from lowrank.training import train_ranks  # imports Keras, once per server

        configure_threads(threads)
        listener.settimeout(idle_seconds)
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            connection.settimeout(None)
            with connection, connection.makefile("rwb") as stream:
                _answer(stream, train_ranks)
    finally:
        # Unlink before closing: a job that finds no socket file starts a new
        # server, which must not lose its own socket file to this one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket_path)
        listener.close()


def _answer(stream, train_ranks):
    from lowrank.errors import LowrankError

    line = stream.readline()
    if not line:  # a check that the server listens (prestart)
        return
    request = json.loads(line)
    folder = Path(request.pop("folder"))
    try:
        folder.mkdir(parents=True)
        for line in train_ranks(folder=folder, **request):
            _send(stream, log=line)
        _send(stream, done=True)
    except (BrokenPipeError, ConnectionResetError):
        shutil.rmtree(folder, ignore_errors=True)  # the job is gone
    except LowrankError as error:
        shutil.rmtree(folder, ignore_errors=True)
        _send_quietly(stream, error=f"{type(error).__name__}: {error}")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        _send_quietly(stream, error=traceback.format_exc())


def _send(stream, **message):
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _send_quietly(stream, **message):
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        _send(stream, **message)


def main():
    parser = argparse.ArgumentParser(description="lowrank training server")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--idle-seconds", type=float, required=True)
    args = parser.parse_args()
    serve(args.socket, args.threads, args.idle_seconds)


if __name__ == "__main__":
    main()
