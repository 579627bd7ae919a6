"""A warm training process per machine slot, so TensorFlow starts once per study.

Importing TensorFlow costs about 5 s here (seconds more to initialise CUDA on
a GPU), more than training a small network takes. A training job therefore
hands its work to a local server that has Keras loaded already:

- Everything lives in the user's private runtime folder
  (:mod:`lowrank.runtime_folder`), checked before each use; its files are
  opened without following links or truncating.
- The job leases a slot (:mod:`lowrank.training.service.slots`): an
  exclusive ``flock`` on ``<key>-<slot>.lock`` in that folder, the first
  slot free. Concurrent jobs get different slots, each slot has its own
  server, so jobs still train side by side. The kernel drops the lock when
  the job ends, however it ends.
- ``key`` digests the Python interpreter, every lowrank source file, the
  thread count and the visible GPU: a job never talks to a server with other
  code or another device.
- The job connects to ``<key>-<slot>.sock``, starting the server first if
  none answers (under a lock per slot, so one server per socket). A server
  listens before it loads Keras; requests wait while it loads, so a study
  can start servers when it begins
  (:func:`lowrank.training.service.slots.prestart`). The server trains
  every rank, writes the records into a temporary folder the job named, and
  streams one line per rank back; the job renames the folder into place only
  when all ranks are done, so a killed job leaves no result (the server
  notices the closed socket at the next rank and deletes the folder). The
  server itself is :mod:`lowrank.training.service.server`.
- A server that refuses, resets, dies or stays silent for ``reply_timeout``
  seconds costs speed, not the study: the job stops that server (its pid
  from ``SO_PEERCRED``, where it runs as this user) and removes its socket,
  asks again once (a fresh server starts), then trains in its own process
  and says so in its log, quoting the server's log. While a rank trains the
  server says it is alive every quarter of ``reply_timeout``, so a long
  rank is no silence.
- Servers and jobs share XLA's compilations through a persistent cache in
  the same folder (:mod:`lowrank.training.compilation_cache`).
- A server exits after ``idle_seconds`` without a request. Its output
  (TensorFlow's C++ start-up lines among it) goes to ``<key>-<slot>.log``,
  not to the console.

Messages are JSON lines. Request: the arguments of
:func:`lowrank.training.train.train_ranks` and ``heartbeat`` (seconds).
Replies: ``{"log": text}`` per rank and ``{"alive": true}`` between, then
``{"done": true}`` or ``{"error": text}`` (``"refused..."`` where the server
would not take the request).

:func:`run_training` is the entry point of a training job; with
``idle_seconds`` 0, or inside a SLURM job, it trains in its own process.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from lowrank.runtime_folder import open_private, private_temp_environment
from lowrank.training.compilation_cache import (
    clear_compilations,
    is_cache_failure,
    share_compilations,
    stop_sharing_compilations,
)
from lowrank.training.service.server import peer_credentials
from lowrank.training.service.slots import (
    ServiceError,
    ServiceUnavailable,
    connect_or_start,
    isolated_python,
    leased_slot,
    servers_used,
    service_key,
    slot_paths,
)

FRESH_TRAINING = "lowrank.training.service.client:train_in_this_process"
REPLY_TIMEOUT = 600.0
LOG_TAIL_BYTES = 2000
# A server killed a moment ago may still hold its socket: a second attempt
# made at once can land in the dying server's backlog and fail as well.
RETRY_PAUSE = 0.5


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
    with leased_slot(key) as slot:
        paths = slot_paths(key, slot)
        for attempt in (1, 2):
            try:
                _request(paths, request, threads, idle_seconds, reply_timeout, log)
                return True
            except ServiceUnavailable as failure:
                shutil.rmtree(folder, ignore_errors=True)  # a dead server's part
                log(f"training server: {failure} (attempt {attempt} of 2)")
                time.sleep(RETRY_PAUSE if attempt == 1 else 0)
    log(
        f"training server: unavailable, training in this process instead; "
        f"the end of {paths['log']}:\n{_log_tail(paths['log'])}"
    )
    return False


def _request(paths, request, threads, idle_seconds, reply_timeout, log):
    """Send ``request`` to the slot's server and relay its replies.

    Raises :class:`ServiceUnavailable` when the server cannot be reached,
    refuses, closes, resets or stays silent (after stopping it: see
    :func:`_retire`), :class:`ServiceError` when it reports a failed
    training.
    """
    try:
        connection = _connect(paths, threads, idle_seconds, log)
    except OSError as error:
        raise ServiceUnavailable(f"{type(error).__name__}: {error}") from None
    with connection:
        try:
            _exchange(connection, request, reply_timeout, log)
        except ServiceUnavailable:
            _retire(connection, paths)
            raise
        except TimeoutError:
            _retire(connection, paths)
            raise ServiceUnavailable(f"no reply for {reply_timeout:.0f} s") from None
        except (OSError, ValueError) as error:
            _retire(connection, paths)
            raise ServiceUnavailable(f"{type(error).__name__}: {error}") from None


def _exchange(connection, request, reply_timeout, log):
    connection.settimeout(reply_timeout)
    with connection.makefile("rwb") as stream:
        _send(stream, **request, heartbeat=reply_timeout / 4)
        for line in stream:
            reply = json.loads(line)
            if "log" in reply:
                log(reply["log"])
            elif reply.get("alive"):
                continue
            elif reply.get("done"):
                return
            elif str(reply.get("error", "")).startswith("refused"):
                raise ServiceUnavailable(reply["error"])
            else:
                raise ServiceError(reply.get("error", f"unexpected reply {reply}"))
    raise ServiceUnavailable("the server closed the connection before it was done")


def _retire(connection, paths):
    """Stop the server at the other end of ``connection`` and remove its
    socket, so that the next attempt starts a fresh server instead of
    queueing behind a hung one. Only a process of this user, never this one,
    is stopped: the kernel names it (``SO_PEERCRED``), not the server."""
    with contextlib.suppress(OSError):
        pid, uid, _ = peer_credentials(connection)
        if uid == os.getuid() and pid not in (0, os.getpid()):
            os.kill(pid, signal.SIGKILL)
            _await_exit(pid)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(paths["socket"])


def _await_exit(pid, seconds=5.0):
    """Wait until ``pid`` is gone or a zombie: a killed server must not write
    into the folder the job removes next."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def _log_tail(path):
    """The last lines of a server's log, or why there are none."""
    try:
        descriptor = open_private(path, os.O_RDONLY)
    except OSError as error:
        return f"(unreadable: {error})"
    with os.fdopen(descriptor, "rb") as handle:
        handle.seek(max(0, os.fstat(descriptor).st_size - LOG_TAIL_BYTES))
        return handle.read().decode(errors="replace")


def _connect(paths, threads, idle_seconds, log):
    """A connection to the slot's server, started here if none answers.

    A server listens before it imports Keras, so the connection is made at
    once and the request waits while a new (or prestarted) server loads.
    """
    connection, server = connect_or_start(paths, threads, idle_seconds)
    if server is None:
        log(f"training server: warm ({paths['log']})")
    else:
        log(f"training server: started, pid {server.pid} ({paths['log']})")
    return connection


def _send(stream, **message):
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def train_in_this_process():
    """The program of :func:`_train_in_fresh_process`: REQUEST FOLDER THREADS."""
    request, folder, threads = sys.argv[1:]
    _train_here(json.loads(request), Path(folder), int(threads), print)
