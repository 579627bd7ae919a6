"""The warm training server: Keras loaded once, a request per training job.

    python -I -m lowrank.training.service.server --socket PATH --threads N
        --idle-seconds S

Started by :mod:`lowrank.training.service.client` (which documents the protocol) in
the user's private runtime folder, with an isolated ``sys.path`` (``-I``) and
``/`` as its working directory, so nothing beside it can be imported. It
trusts no request: the caller must be this user (``SO_PEERCRED``), every
field is checked, and the output folder is one the server creates itself,
exclusively, named after the calling process. A bad request gets an error
reply and the server stays up; it never deletes a folder it did not create.
While a rank trains it sends ``{"alive": true}`` every ``heartbeat``
seconds of the request (a quarter of the job's timeout), so the job's
timeout measures whether the server lives, not how long a rank takes; a
request whose job has gone by the time the server reaches it is dropped.
Before each request it checks its runtime folders again
(:func:`lowrank.runtime_folder.recheck_private_folders`): where one was
swapped or opened, it refuses the request and exits, and the job trains in
its own process, which checks the folders itself.
"""

import argparse
import contextlib
import json
import math
import os
import select
import shutil
import socket
import struct
import threading
import traceback
from pathlib import Path

from lowrank.runtime_folder import RuntimeFolderError, recheck_private_folders
from lowrank.training.device_policy import GPU_EXPECTATIONS

REQUEST_FIELDS = {
    "matrix_path": str,
    "ranks": list,
    "regime_name": str,
    "settings": dict,
    "folder": str,
    "gpu": str,
    "heartbeat": float,
}
# How long a connected job may keep the server waiting for one message.
CONNECTION_TIMEOUT = 60.0


class RequestError(ValueError):
    """A request the server refuses to act on."""


def peer_credentials(connection):
    """(pid, uid, gid) of the process at the other end of a Unix socket."""
    size = struct.calcsize("3i")
    raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
    return struct.unpack("3i", raw)


def parse_request(line, peer_pid):
    """The checked arguments of :func:`lowrank.training.train.train_ranks` in the
    JSON ``line`` of process ``peer_pid``; raises :class:`RequestError`."""
    try:
        request = json.loads(line)
    except ValueError as error:
        raise RequestError(f"the request is not JSON: {error}") from None
    if not isinstance(request, dict) or set(request) != set(REQUEST_FIELDS):
        raise RequestError(f"a request has exactly the fields {list(REQUEST_FIELDS)}")
    for name, kind in REQUEST_FIELDS.items():
        if not isinstance(request[name], kind):
            raise RequestError(f"{name} must be a JSON {kind.__name__}")
    ranks = request["ranks"]
    if not ranks or not all(type(rank) is int and rank >= 1 for rank in ranks):
        raise RequestError(f"ranks must be positive integers, not {ranks!r}")
    if request["gpu"] not in GPU_EXPECTATIONS:
        raise RequestError(f"gpu must be one of {list(GPU_EXPECTATIONS)}")
    if not (math.isfinite(request["heartbeat"]) and request["heartbeat"] > 0):
        raise RequestError("heartbeat must be a positive number of seconds")
    if not os.path.isabs(request["matrix_path"]):
        raise RequestError("matrix_path must be absolute")
    request["folder"] = _checked_folder(request["folder"], peer_pid)
    return request


def _checked_folder(text, peer_pid):
    """The output folder: absolute, normalised, named ``<output>.tmp-<pid>``
    after the calling job, in an existing folder."""
    folder = Path(text)
    if not folder.is_absolute() or os.path.normpath(text) != text:
        raise RequestError(f"folder {text!r} must be an absolute, normalised path")
    suffix = f".tmp-{peer_pid}"
    if not folder.name.endswith(suffix) or folder.name == suffix:
        raise RequestError(f"folder {text!r} must be named <output>{suffix}")
    if not folder.parent.is_dir():
        raise RequestError(f"folder {text!r}: {folder.parent} is not a folder")
    return folder


def serve(socket_path, threads, idle_seconds):
    """Answer training requests on ``socket_path`` until idle for a while.

    Listens first and loads Keras after: requests queue while it loads.
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    os.chmod(socket_path, 0o600)
    listener.listen()
    try:
        from lowrank.training.backend import configure_threads
        from lowrank.training.train import train_ranks  # imports Keras, once per server

        configure_threads(threads)
        listener.settimeout(idle_seconds)
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            with connection:
                try:
                    _answer(connection, train_ranks)
                except RuntimeFolderError as error:
                    print(f"stopping: {error}", flush=True)
                    return
                except (BrokenPipeError, ConnectionResetError) as error:
                    print(f"a job went away during its reply ({error})", flush=True)
                except Exception:  # one bad exchange never stops the server
                    traceback.print_exc()
    finally:
        # Unlink before closing: a job that finds no socket file starts a new
        # server, which must not lose its own socket file to this one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket_path)
        listener.close()


def _answer(connection, train_ranks):
    pid, uid, _ = peer_credentials(connection)
    connection.settimeout(CONNECTION_TIMEOUT)
    with connection.makefile("rwb") as stream:
        if uid != os.getuid():
            print(f"refused a connection from uid {uid} (pid {pid})", flush=True)
            _send_quietly(stream, error=f"refused: uid {uid} is not this server's")
            return
        line = stream.readline()
        if not line:  # a check that the server listens (prestart)
            return
        try:
            recheck_private_folders()
        except RuntimeFolderError as error:
            _send_quietly(stream, error=f"refused request: {error}")
            raise
        if _gone(connection):  # the job gave up while the request queued
            print(f"dropped the request of pid {pid}: its job has gone", flush=True)
            return
        try:
            request = parse_request(line, pid)
            os.mkdir(request["folder"])
        except (RequestError, OSError) as error:
            _send_quietly(stream, error=f"refused request: {error}")
            return
        _train(stream, request, train_ranks)


def _gone(connection):
    """Whether the job at the other end has closed its socket (a hang-up,
    not a mere end of its request)."""
    poll = select.poll()
    poll.register(connection, select.POLLIN)
    return any(events & (select.POLLHUP | select.POLLERR) for _, events in poll.poll(0))


def _train(stream, request, train_ranks):
    """Train into the folder this server created, removing it on failure."""
    from lowrank.errors import LowrankError

    folder = request["folder"]
    heartbeat = request.pop("heartbeat")
    writing = threading.Lock()
    try:
        with _beating(stream, writing, heartbeat):
            for line in train_ranks(**request):
                with writing:
                    _send(stream, log=line)
        _send(stream, done=True)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        shutil.rmtree(folder, ignore_errors=True)  # the job is gone
    except LowrankError as error:
        shutil.rmtree(folder, ignore_errors=True)
        _send_quietly(stream, error=f"{type(error).__name__}: {error}")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        _send_quietly(stream, error=traceback.format_exc())


@contextlib.contextmanager
def _beating(stream, writing, seconds):
    """Send ``{"alive": true}`` every ``seconds`` while the block runs."""
    stop = threading.Event()

    def beat():
        while not stop.wait(seconds):
            with writing:
                try:
                    _send(stream, alive=True)
                except (OSError, ValueError):  # the job has gone: the next
                    return  # rank's reply finds out and cleans up

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        beater.join()


def _send(stream, **message):
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _send_quietly(stream, **message):
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
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
