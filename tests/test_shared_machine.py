"""A shared machine: the runtime folder is private and checked, files in it are
never opened through links, the server answers only its user and checks every
request, and a failing server slows a job down instead of failing it."""

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from lowrank import runtime_folder
from lowrank.records import InputMatrix, write_matrix
from lowrank.runtime_folder import RuntimeFolderError, open_private
from lowrank.training.gpu_lease import lease_device
from lowrank.training.service import server as training_server
from lowrank.training.service.client import run_training

NEIGHBOUR = "lowrank-neighbour"


def test_the_runtime_folder_is_created_private(runtime_dir):
    assert runtime_folder.runtime_folder() == runtime_dir
    assert stat.S_IMODE(runtime_dir.stat().st_mode) == 0o700


def test_the_runtime_folder_follows_xdg_then_the_temp_folder(tmp_path):
    assert runtime_folder.runtime_folder_path({"XDG_RUNTIME_DIR": str(tmp_path)}) == (
        tmp_path / "lowrank"
    )
    default = runtime_folder.runtime_folder_path({})
    assert default.name == f"lowrank-{os.getuid()}"


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p.mkdir(mode=0o777) or p.chmod(0o777), "open to others"),
        (lambda p: p.write_text("x"), "not a directory"),
        (lambda p: p.symlink_to(p.parent), "symbolic link"),
    ],
)
def test_an_unsafe_runtime_folder_is_refused_by_name(runtime_dir, make, problem):
    make(runtime_dir)
    with pytest.raises(RuntimeFolderError, match=f"{runtime_dir} .*{problem}.*0700"):
        runtime_folder.runtime_folder()


def test_a_relative_runtime_folder_is_refused_and_a_relative_xdg_one_ignored():
    with pytest.raises(RuntimeFolderError, match="tmp/lr-rt is a relative path"):
        runtime_folder.runtime_folder_path({"LOWRANK_RUNTIME_DIR": "tmp/lr-rt"})
    ignored = runtime_folder.runtime_folder_path({"XDG_RUNTIME_DIR": "run/user"})
    assert ignored.is_absolute() and ignored.name == f"lowrank-{os.getuid()}"


@pytest.mark.parametrize("mode", [0o777, 0o775])
def test_a_runtime_folder_under_a_parent_others_may_rename_in_is_refused(
    tmp_path, monkeypatch, mode
):
    parent = tmp_path / "open"
    parent.mkdir()
    parent.chmod(mode)  # writable by others, not sticky: they may swap folders
    monkeypatch.setenv("LOWRANK_RUNTIME_DIR", str(parent / "runtime"))
    with pytest.raises(RuntimeFolderError, match=f"lies in {parent}, which others"):
        runtime_folder.runtime_folder()
    parent.chmod(mode | stat.S_ISVTX)  # as /tmp is
    assert runtime_folder.runtime_folder() == parent / "runtime"


def test_a_runtime_folder_reached_through_an_unsafe_link_is_refused(
    tmp_path, monkeypatch
):
    real = tmp_path / "open"
    real.mkdir()
    real.chmod(0o777)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv("LOWRANK_RUNTIME_DIR", str(tmp_path / "link" / "runtime"))
    with pytest.raises(RuntimeFolderError, match=f"lies in {real}, which others"):
        runtime_folder.runtime_folder()


def test_a_taken_default_folder_falls_back_to_a_private_one(shared_temp, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", shared_temp)
    taken = Path(shared_temp, f"lowrank-{os.getuid()}")
    taken.symlink_to("/")
    environ = {}
    with pytest.warns(runtime_folder.RuntimeFolderWarning, match="symbolic link"):
        folder = runtime_folder.runtime_folder(environ)
    assert folder.parent == taken.parent and folder.name.startswith(f"{taken.name}-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert environ == {"LOWRANK_RUNTIME_DIR": str(folder)}  # pinned for children
    assert runtime_folder.runtime_folder(environ) == folder


def test_a_server_refuses_and_stops_when_its_folder_was_opened(runtime_dir):
    runtime_folder.private_subfolder("tmp").chmod(0o777)
    with pytest.raises(RuntimeFolderError, match="open to others"):
        answer(b'{"ranks": [1]}\n')


def test_files_are_opened_without_links_or_truncation(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "lock").symlink_to(victim)
    with pytest.raises(OSError):
        open_private(tmp_path / "lock")
    os.close(open_private(victim))
    assert victim.read_text() == "precious"


def fake_train_ranks(folder, ranks, **_):
    for rank in ranks:
        (folder / f"rank{rank}.h5").write_text("record")
        yield f"rank {rank}"


def answer(request):
    """The replies of :func:`training_server._answer` to ``request`` bytes."""
    job, server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    job.sendall(request)
    job.shutdown(socket.SHUT_WR)
    with server:
        training_server._answer(server, fake_train_ranks)
    with job:
        return [json.loads(line) for line in job.makefile("rb")]


def request_line(tmp_path, **changes):
    request = {
        "matrix_path": str(tmp_path / "input.h5"),
        "ranks": [1],
        "regime_name": "exact",
        "settings": {},
        "folder": str(tmp_path / f"out.tmp-{os.getpid()}"),
        "gpu": "none",
        "heartbeat": 1.0,
        **changes,
    }
    return json.dumps(request).encode() + b"\n"


@pytest.mark.parametrize(
    "request_bytes, reason",
    [
        (b"{not json\n", "not JSON"),
        (b"[1, 2]\n", "exactly the fields"),
        (b'{"ranks": [1]}\n', "exactly the fields"),
    ],
)
def test_a_malformed_request_gets_an_error(request_bytes, reason):
    [reply] = answer(request_bytes)
    assert "refused request" in reply["error"] and reason in reply["error"]


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"ranks": [1, "2"]}, "positive integers"),
        ({"ranks": [True]}, "positive integers"),
        ({"settings": []}, "settings must be a JSON dict"),
        ({"matrix_path": "input.h5"}, "absolute"),
        ({"folder": "/tmp/out.tmp-1"}, "must be named <output>.tmp-"),
        ({"folder": "/tmp/../etc/x.tmp-{pid}"}, "normalised"),
        ({"folder": "/no/such/out.tmp-{pid}"}, "is not a folder"),
        ({"gpu": "maybe"}, "gpu must be one of"),
    ],
)
def test_an_invalid_request_gets_an_error(tmp_path, changes, reason):
    changes = {k: v.format(pid=os.getpid()) if isinstance(v, str) else v
               for k, v in changes.items()}  # fmt: skip
    [reply] = answer(request_line(tmp_path, **changes))
    assert reason in reply["error"]


def test_a_request_whose_job_has_gone_is_dropped(tmp_path, capsys):
    job, server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    job.sendall(request_line(tmp_path))
    job.close()  # gave up while the request waited in the queue
    with server:
        training_server._answer(server, fake_train_ranks)
    assert "its job has gone" in capsys.readouterr().out
    assert not list(tmp_path.glob("out.tmp-*"))


def test_the_server_never_deletes_a_folder_it_did_not_create(tmp_path):
    existing = tmp_path / f"out.tmp-{os.getpid()}"
    existing.mkdir()
    (existing / "keep").write_text("mine")
    [reply] = answer(request_line(tmp_path))
    assert "File exists" in reply["error"]
    assert (existing / "keep").read_text() == "mine"
    shutil.rmtree(existing)
    replies = answer(request_line(tmp_path, ranks=[1, 2]))
    assert [r.get("log") for r in replies[:2]] == ["rank 1", "rank 2"]
    assert replies[2]["done"]
    assert sorted(p.name for p in existing.iterdir()) == ["rank1.h5", "rank2.h5"]


@pytest.fixture
def request_for(tmp_path):
    path = tmp_path / "input.h5"
    matrix = np.random.default_rng(0).uniform(size=(1, 5, 4))
    write_matrix(path, InputMatrix(matrix, "input", "uniform", "test", "test"))
    return {
        "matrix_path": str(path),
        "ranks": [1, 2],
        "regime_name": "exact",
        "settings": {"max_steps": 100},
        "gpu": "none",
    }


def fake_server(runtime_dir, behave):
    """A listener on slot 0's socket that treats each connection with
    ``behave(connection)``; returns the thread and the listener."""
    from lowrank.training.service.slots import service_key

    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stem = runtime_dir / f"{service_key(threads=1)}-0"
    listener.bind(f"{stem}.sock")
    listener.listen()
    Path(f"{stem}.log").write_text("the server's last words\n")

    def loop():
        for _ in range(2):
            try:
                connection, _ = listener.accept()
            except OSError:  # the test closed the listener
                return
            behave(connection)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, listener


def dies_midway(connection):
    connection.recv(1 << 16)
    connection.sendall(b'{"log": "rank 1: 10 steps"}\n')
    connection.close()


def stays_silent(connection):
    connection.recv(1 << 16)
    threading.Event().wait(5)
    connection.close()


@pytest.mark.parametrize(
    "behave, failure",
    [
        (dies_midway, "closed the connection before it was done"),
        (stays_silent, "no reply for 1 s"),
    ],
)
def test_a_failing_server_costs_time_not_the_job(
    tmp_path, runtime_dir, request_for, behave, failure
):
    thread, listener = fake_server(runtime_dir, behave)
    lines = []
    output = tmp_path / "out"
    run_training(request_for, output, 1, 30, log=lines.append, reply_timeout=1)
    listener.close()
    text = "\n".join(lines)
    assert f"{failure} (attempt 1 of 2)" in text and "attempt 2 of 2" in text
    assert "training in this process instead" in text
    assert "the server's last words" in text
    assert sorted(p.name for p in output.iterdir()) == ["rank1.h5", "rank2.h5"]
    assert not list(tmp_path.glob("out.tmp-*"))


def neighbour_python():
    """The command prefix that runs the system Python as a second local user,
    or skip where this machine cannot make one."""
    if os.getuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
        pytest.skip("needs root with useradd and runuser to play a neighbour")
    try:
        pwd.getpwnam(NEIGHBOUR)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", NEIGHBOUR], check=True)
    return ["runuser", "-u", NEIGHBOUR, "--", "/usr/bin/python3", "-c"]


@pytest.fixture
def shared_temp():
    """A temp folder open to all, as /tmp is (sticky, mode 1777)."""
    folder = tempfile.mkdtemp(prefix="lowrank-shared-", dir="/tmp")
    os.chmod(folder, 0o1777)
    yield folder
    shutil.rmtree(folder)


PLANT = """
import os, sys
root, victim = sys.argv[1], sys.argv[2]
os.makedirs(f"{root}/lowrank", exist_ok=True)
os.chmod(root, 0o777)
with open(f"{root}/lowrank/__init__.py", "w") as f:
    f.write(f"open({root!r} + '/planted-ran', 'w').write('yes')\\n")
for name in ("tmp", "xla-cache"):
    os.symlink(victim, f"{root}/{name}")
"""


def test_a_neighbours_planted_runtime_folder_is_passed_over_by_name(
    tmp_path, shared_temp, request_for, monkeypatch
):
    run_as_neighbour = neighbour_python()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o666)
    tmp_path.chmod(0o755)
    planted = os.path.join(shared_temp, f"lowrank-{os.getuid()}")
    subprocess.run([*run_as_neighbour, PLANT, planted, str(victim)], check=True)
    job = [sys.executable, "-c", TRAIN_JOB, json.dumps(request_for), str(tmp_path)]
    environ = {**os.environ, "TMPDIR": shared_temp}
    for name in ("LOWRANK_RUNTIME_DIR", "XDG_RUNTIME_DIR", "TF_XLA_FLAGS"):
        environ.pop(name, None)
    finished = subprocess.run(job, env=environ, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert f"runtime folder {planted} belongs to uid" in finished.stderr
    assert f"Using {planted}-" in finished.stderr  # a private folder beside it
    assert not os.path.exists(os.path.join(planted, "planted-ran"))
    assert victim.read_text() == "precious"
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"rank{rank}.h5" for rank in request_for["ranks"]]


TRAIN_JOB = """
import json, sys
from lowrank.training.service.client import run_training
run_training(json.loads(sys.argv[1]), sys.argv[2] + "/out", 1, 30)
"""


def test_a_relative_runtime_folder_stops_the_job_before_a_neighbours_folder_is_used(
    tmp_path, shared_temp, request_for
):
    # The job resolves "tmp/<x>" in its own folder, a server started in "/"
    # in /tmp: the neighbour's 0777 folder there must stay untouched.
    run_as_neighbour = neighbour_python()
    relative = os.path.relpath(shared_temp, "/") + "/lr-rt"
    grab = "import os, sys; os.mkdir(sys.argv[1]); os.chmod(sys.argv[1], 0o777)"
    subprocess.run([*run_as_neighbour, grab, "/" + relative], check=True)
    job = [sys.executable, "-c", TRAIN_JOB, json.dumps(request_for), str(tmp_path)]
    environ = {**os.environ, "LOWRANK_RUNTIME_DIR": relative}
    environ.pop("TF_XLA_FLAGS", None)
    finished = subprocess.run(
        job, env=environ, cwd=tmp_path, capture_output=True, text=True
    )
    assert finished.returncode != 0
    assert f"LOWRANK_RUNTIME_DIR={relative} is a relative path" in finished.stderr
    assert os.listdir("/" + relative) == [] and not (tmp_path / "out").exists()


def test_the_server_refuses_another_users_connection(tmp_path, shared_temp):
    run_as_neighbour = neighbour_python()
    path = os.path.join(shared_temp, "server.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)  # as if the folder's checks had been bypassed
    listener.listen()
    # The server may refuse before the request is sent: a failed send is fine.
    connect = (
        "import socket, sys; s = socket.socket(socket.AF_UNIX); "
        "s.connect(sys.argv[1])\ntry: s.sendall(sys.argv[2].encode())\n"
        "except OSError: pass\nprint(s.makefile().readline())"
    )
    request = request_line(tmp_path).decode()
    neighbour = subprocess.Popen(
        [*run_as_neighbour, connect, path, request], stdout=subprocess.PIPE, text=True
    )
    connection, _ = listener.accept()
    with connection:
        training_server._answer(connection, fake_train_ranks)
    reply = json.loads(neighbour.communicate(timeout=30)[0])
    listener.close()
    assert reply["error"].startswith("refused: uid")
    assert not list(tmp_path.glob("out.tmp-*"))


def cache_entries(runtime_dir):
    return sorted((runtime_dir / "xla-cache").glob("xla_compile_cache*"))


TRAIN_HERE = """
import json, sys
from lowrank.training.service.client import run_training
run_training(json.loads(sys.argv[1]), sys.argv[2], 1, 0)
"""


def test_a_truncated_cache_entry_is_removed_and_training_goes_on(
    tmp_path, runtime_dir, request_for
):
    # Fresh processes, so that the second reads what the first compiled.
    job = [sys.executable, "-c", TRAIN_HERE, json.dumps(request_for)]
    subprocess.run([*job, str(tmp_path / "first")], check=True, capture_output=True)
    [entry] = cache_entries(runtime_dir)
    entry.write_bytes(entry.read_bytes()[:1000])
    second = subprocess.run(
        [*job, str(tmp_path / "second")], capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr[-2000:]
    assert "XLA compilation cache failed (Read less bytes" in second.stdout
    assert "removed its 1 entries and training without it in a fresh process" in (
        second.stdout
    )
    assert sorted(p.name for p in (tmp_path / "second").iterdir()) == [
        "rank1.h5", "rank2.h5",
    ]  # fmt: skip
    assert not cache_entries(runtime_dir)


FILE_SIZE_LIMITED = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
from lowrank.training.service.client import run_training
run_training(json.loads(sys.argv[1]), sys.argv[2], 1, float(sys.argv[3]))
"""


@pytest.mark.parametrize("idle_seconds", [5, 0])
def test_a_cache_that_cannot_be_written_costs_its_speed_only(
    tmp_path, runtime_dir, request_for, idle_seconds
):
    output = tmp_path / "out"
    job = [sys.executable, "-c", FILE_SIZE_LIMITED, json.dumps(request_for)]
    finished = subprocess.run(
        [*job, str(output), str(idle_seconds)], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert sorted(p.name for p in output.iterdir()) == ["rank1.h5", "rank2.h5"]
    if idle_seconds:
        # The server's TensorFlow logs the failed write and trains on (seen
        # here); a failure it passes on is handled as in-process below.
        [log] = runtime_dir.glob("*.log")
        assert "File too large" in log.read_text() + finished.stdout
    else:
        assert "File too large" in finished.stdout
        assert "training without it in a fresh process" in finished.stdout


HOLD_LOCK = """
import fcntl, os, sys, time
for path in sys.argv[1:-1]:
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    os.fchmod(descriptor, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
print("held by pid", os.getpid(), flush=True)
time.sleep(float(sys.argv[-1]))
"""


def test_two_users_do_not_lease_the_same_gpu(shared_temp):
    run_as_neighbour = neighbour_python()
    neighbour = subprocess.Popen(
        [*run_as_neighbour, HOLD_LOCK, f"{shared_temp}/lowrank-gpu-0.lock", "60"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert neighbour.stdout.readline().startswith("held by pid")
        lease = lease_device(["0", "1"], lease_dir=shared_temp, timeout=5, poll=0.1)
        assert lease.device == "1"
        assert os.stat(f"{shared_temp}/lowrank-gpu-1.lock").st_mode & 0o777 == 0o644
        lease.release()
    finally:
        neighbour.kill()
        neighbour.wait()


def test_a_neighbour_holding_every_lease_is_named_and_the_wait_bounded(shared_temp):
    run_as_neighbour = neighbour_python()
    locks = [f"{shared_temp}/lowrank-gpu-{device}.lock" for device in (0, 1)]
    neighbour = subprocess.Popen(
        [*run_as_neighbour, HOLD_LOCK, *locks, "60"], stdout=subprocess.PIPE, text=True
    )
    said = []
    try:
        holder = neighbour.stdout.readline().strip()  # "held by pid N"
        with pytest.raises(
            TimeoutError, match=f"{holder}.*{NEIGHBOUR}.*training.gpu_wait"
        ):
            lease_device(
                ["0", "1"],
                lease_dir=shared_temp,
                timeout=0.5,
                poll=0.1,
                log=said.append,
            )
    finally:
        neighbour.kill()
        neighbour.wait()
    # Said once while waiting, not once a poll.
    [line] = said
    assert line.startswith("waiting for a GPU") and f"(user {NEIGHBOUR})" in line
    assert line.count("held by pid") == 2


def test_a_link_planted_at_a_lease_name_only_takes_its_device_out(shared_temp):
    run_as_neighbour = neighbour_python()
    plant = "import os, sys; os.symlink('/etc/passwd', sys.argv[1])"
    subprocess.run(
        [*run_as_neighbour, plant, f"{shared_temp}/lowrank-gpu-0.lock"], check=True
    )
    lease = lease_device(["0", "1"], lease_dir=shared_temp, timeout=5, poll=0.1)
    assert lease.device == "1"
    lease.release()
    said = []
    with pytest.raises(TimeoutError, match="lowrank-gpu-0.lock unusable"):
        lease_device(
            ["0"] * 2, lease_dir=shared_temp, timeout=0.3, poll=0.1, log=said.append
        )
    assert "Too many levels of symbolic links" in said[0]


def test_a_runtime_folder_a_neighbour_could_swap_is_refused(shared_temp, monkeypatch):
    run_as_neighbour = neighbour_python()
    parent = Path(shared_temp, "group")
    parent.mkdir()
    parent.chmod(0o777)  # others may rename in it: not sticky
    folder = parent / "runtime"
    folder.mkdir(mode=0o700)
    swap = (
        "import os, sys; os.rename(sys.argv[1], sys.argv[1] + '.old'); "
        "os.mkdir(sys.argv[1]); os.chmod(sys.argv[1], 0o777)"
    )
    subprocess.run([*run_as_neighbour, swap, str(folder)], check=True)
    monkeypatch.setenv("LOWRANK_RUNTIME_DIR", str(folder))
    with pytest.raises(RuntimeFolderError, match=f"{folder} lies in {parent}"):
        runtime_folder.private_subfolder("tmp")
    assert not (folder / "tmp").exists()


def test_an_unsafe_lease_folder_is_refused(tmp_path):
    open_to_all = tmp_path / "leases"
    open_to_all.mkdir()
    open_to_all.chmod(0o777)  # writable by all, not sticky
    with pytest.raises(RuntimeFolderError, match="not safe to share"):
        lease_device(["0", "1"], lease_dir=open_to_all, timeout=1)


@pytest.mark.workflow
def test_a_neighbours_planted_runtime_folder_is_passed_over_by_the_study(
    tmp_path, shared_temp
):
    from test_workflow import TINY_CONFIG, make_study, snakemake

    run_as_neighbour = neighbour_python()
    workdir = make_study(tmp_path / "study", TINY_CONFIG)
    victim = workdir / "config" / "config.yaml"
    before = victim.read_text()
    victim.chmod(0o666)
    tmp_path.chmod(0o755)
    planted = os.path.join(shared_temp, f"lowrank-{os.getuid()}")
    subprocess.run([*run_as_neighbour, PLANT, planted, str(victim)], check=True)
    environ = {**os.environ, "TMPDIR": shared_temp}
    for name in ("LOWRANK_RUNTIME_DIR", "XDG_RUNTIME_DIR", "TF_XLA_FLAGS"):
        environ.pop(name, None)
    result = snakemake(workdir, check=False, env=environ)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"runtime folder {planted} belongs to uid" in result.stderr
    assert f"Using {planted}-" in result.stderr
    assert not os.path.exists(os.path.join(planted, "planted-ran"))
    assert victim.read_text() == before


def test_a_server_killed_mid_request_is_replaced(tmp_path, runtime_dir, request_for):
    lines, killed = [], []

    def log(line):
        lines.append(line)
        if line.startswith("training server: started, pid ") and not killed:
            killed.append(int(line.split("pid ")[1].split()[0]))
        elif line.startswith("rank 1:") and len(killed) == 1:
            os.kill(killed[0], signal.SIGKILL)
            killed.append(True)

    # 25,000 steps a rank (most of a second here), so that the kill lands
    # while the server trains rank 3, its folder half written.
    settings = {"samples": 20_000, "epochs": 40, "batch_size": 32}
    request = {**request_for, "ranks": [1, 3], "regime_name": "paper"}
    run_training({**request, "settings": settings}, tmp_path / "out", 1, 5, log=log)
    text = "\n".join(lines)
    assert len(killed) == 2, text
    assert "closed the connection before it was done (attempt 1 of 2)" in text
    assert text.count("training server: started") == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rank1.h5", "rank3.h5",
    ]  # fmt: skip
    assert not list(tmp_path.glob("out.tmp-*"))


@pytest.fixture
def read_only_cache(runtime_dir):
    """The runtime folder's XLA cache made immutable (chattr +i): read-only
    even for root, whom file modes do not stop."""
    cache = runtime_dir / "xla-cache"
    cache.mkdir(parents=True, mode=0o700)
    runtime_dir.chmod(0o700)
    if (
        not shutil.which("chattr")
        or subprocess.run(["chattr", "+i", str(cache)], capture_output=True).returncode
    ):
        pytest.skip("needs chattr +i (root on a file system that supports it)")
    yield cache
    subprocess.run(["chattr", "-i", str(cache)], check=True)


def test_a_read_only_cache_costs_its_speed_only(tmp_path, read_only_cache, request_for):
    job = [sys.executable, "-c", TRAIN_HERE, json.dumps(request_for)]
    finished = subprocess.run(
        [*job, str(tmp_path / "out")], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "XLA compilation cache failed (" in finished.stdout
    assert "training without it in a fresh process" in finished.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rank1.h5",
        "rank2.h5",
    ]
    assert not list(read_only_cache.iterdir())
