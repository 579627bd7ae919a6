"""The warm training server: same records as training in-process, nothing left
behind on failure, one server per concurrent job, gone when idle."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from lowrank.records import InputMatrix, read_record, write_matrix
from lowrank.training import compilation_cache
from lowrank.training.backend import backend_name
from lowrank.training.service import slots
from lowrank.training.service.client import ServiceError, run_training


@pytest.fixture
def request_for(tmp_path):
    path = tmp_path / "input.h5"
    matrix = np.random.default_rng(0).uniform(size=(1, 7, 6))
    write_matrix(path, InputMatrix(matrix, "input", "uniform", "test", "test"))

    def make(regime="exact", settings=None):
        return {
            "matrix_path": str(path),
            "ranks": [1, 3],
            "regime_name": regime,
            "settings": settings or {"max_steps": 200},
            "gpu": "none",
        }

    return make


def test_warm_server_writes_the_records_of_an_in_process_run(
    tmp_path, runtime_dir, request_for
):
    lines = []
    served = tmp_path / "served"
    run_training(request_for(), served, threads=1, idle_seconds=30, log=lines.append)
    again = tmp_path / "again"
    run_training(request_for(), again, threads=1, idle_seconds=30, log=lines.append)
    here = tmp_path / "here"
    run_training(request_for(), here, threads=1, idle_seconds=0, log=lines.append)
    assert "started" in lines[0] and "warm" in lines[4]
    assert lines[1] == f"trained on: CPU ({backend_name()})"
    assert "CPU s, peak memory" in lines[2]
    assert sum(line.startswith("rank ") for line in lines) == 6
    for rank in (1, 3):
        records = [read_record(f / f"rank{rank}.h5") for f in (served, again, here)]
        # What the serving process spent: Keras alone is hundreds of MB.
        assert all(r.cpu_seconds > 0 and r.peak_mb > 100 for r in records)
        for record in records[1:]:
            np.testing.assert_array_equal(
                record.approximation, records[0].approximation
            )
    assert sorted(p.name for p in tmp_path.iterdir() if "tmp" in p.name) == []


def test_prestarted_servers_serve_the_first_jobs(tmp_path, runtime_dir, request_for):
    assert slots.prestart(threads=1, idle_seconds=30, count=2) == 2
    assert slots.prestart(threads=1, idle_seconds=30, count=2) == 0
    assert len(list(runtime_dir.glob("*.sock"))) == 2
    lines = []
    run_training(request_for(), tmp_path / "out", 1, idle_seconds=30, log=lines.append)
    assert "warm" in lines[0] and (tmp_path / "out" / "rank3.h5").exists()
    assert slots.prestart(threads=1, idle_seconds=0, count=2) == 0


def test_failed_training_names_the_error_and_leaves_nothing(
    tmp_path, runtime_dir, request_for
):
    # An unexpected error (here a setting the regime does not know), unlike a
    # diverged training, fails the job.
    failing = request_for("paper", {"samples": 64, "epochs": 2, "learning_rat": 1.0})
    output = tmp_path / "out"
    with pytest.raises(ServiceError, match="TypeError.*learning_rat"):
        run_training(failing, output, threads=1, idle_seconds=30)
    assert not output.exists()
    assert not list(tmp_path.glob("out.tmp-*"))


def test_concurrent_jobs_lease_different_slots(runtime_dir):
    with slots.leased_slot("k") as first:
        with slots.leased_slot("k") as second:
            assert first != second
    with slots.leased_slot("k") as reused:
        assert reused == first


def test_idle_server_exits_and_removes_its_socket(tmp_path, runtime_dir, request_for):
    run_training(request_for(), tmp_path / "out", threads=1, idle_seconds=1)
    sockets = list(runtime_dir.glob("*.sock"))
    deadline = time.monotonic() + 30
    while sockets and any(s.exists() for s in sockets):
        assert time.monotonic() < deadline, "the idle server did not exit"
        time.sleep(0.2)


def test_compilations_are_shared_through_one_cache_folder(runtime_dir):
    environ = {
        "TF_XLA_FLAGS": "--tf_xla_enable_lazy_compilation=false",
        "LOWRANK_RUNTIME_DIR": str(runtime_dir),
    }
    compilation_cache.share_compilations(environ)
    compilation_cache.share_compilations(environ)  # idempotent
    flags = environ["TF_XLA_FLAGS"].split()
    assert flags == [
        "--tf_xla_enable_lazy_compilation=false",
        f"--tf_xla_persistent_cache_directory={runtime_dir / 'xla-cache'}",
    ]
    chosen = {"TF_XLA_FLAGS": "--tf_xla_persistent_cache_directory=/elsewhere"}
    compilation_cache.share_compilations(chosen)
    assert chosen["TF_XLA_FLAGS"] == "--tf_xla_persistent_cache_directory=/elsewhere"


def test_a_server_closing_unasked_is_replaced_by_a_fresh_one(
    tmp_path, runtime_dir, request_for
):
    runtime_dir.mkdir(mode=0o700)
    key = slots.service_key(threads=1)
    socket_path = runtime_dir / f"{key}-0.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen()
    accepted = []

    def close_unasked():
        connection, _ = listener.accept()
        accepted.append(connection.recv(1 << 16))
        connection.close()

    thread = threading.Thread(target=close_unasked)
    thread.start()
    lines = []
    run_training(request_for(), tmp_path / "out", 1, idle_seconds=5, log=lines.append)
    thread.join(timeout=10)
    listener.close()
    assert len(accepted) == 1 and b'"ranks"' in accepted[0]
    assert "closed the connection before it was done (attempt 1 of 2)" in lines[1]
    # Its socket was removed, so the second attempt started a real server.
    assert lines[2].startswith("training server: started, pid")
    here = tmp_path / "here"
    run_training(request_for(), here, threads=1, idle_seconds=0)
    for rank in (1, 3):
        np.testing.assert_array_equal(
            read_record(tmp_path / "out" / f"rank{rank}.h5").approximation,
            read_record(here / f"rank{rank}.h5").approximation,
        )
    assert not list(tmp_path.glob("out.tmp-*"))


def test_package_digest_follows_every_module(tmp_path, monkeypatch):
    copy = tmp_path / "lowrank"
    shutil.copytree(slots.PACKAGE_DIR, copy)
    monkeypatch.setattr(slots, "PACKAGE_DIR", copy)
    before = slots.package_digest()
    assert slots.package_digest() == before
    with (copy / "inputs" / "images.py").open("a") as images:
        images.write("\n# edited\n")
    assert slots.package_digest() != before


FAKE_SERVER = """
import json, socket, sys, time
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen()
print("listening", flush=True)
while True:
    connection, _ = listener.accept()
    connection.recv(1 << 16)
    if sys.argv[2] == "refuse":
        connection.sendall(b'{"error": "refused request: not today"}\\n')
        connection.close()
    else:
        time.sleep(600)  # hung: accepts, reads, never answers
"""


def records_of(folder, ranks):
    return [read_record(folder / f"rank{rank}.h5").approximation for rank in ranks]


@pytest.mark.parametrize(
    "behaviour, failure",
    [("silent", "no reply for 10 s"), ("refuse", "refused request: not today")],
)
def test_a_hung_or_refusing_server_is_stopped_and_a_fresh_one_serves(
    tmp_path, runtime_dir, request_for, behaviour, failure
):
    runtime_dir.mkdir(mode=0o700)
    socket_path = runtime_dir / f"{slots.service_key(threads=1)}-0.sock"
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_SERVER, str(socket_path), behaviour],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert fake.stdout.readline() == "listening\n"
        lines = []
        served = tmp_path / "served"
        # Long enough for a fresh server to load Keras on a busy 2-core machine.
        run_training(request_for(), served, 1, 30, log=lines.append, reply_timeout=10)
        assert fake.wait(timeout=10) == -signal.SIGKILL  # stopped by the job
    finally:
        fake.kill()
        fake.wait()
    assert f"{failure} (attempt 1 of 2)" in lines[1]
    assert lines[2].startswith("training server: started, pid")
    assert not any("attempt 2" in line or "this process" in line for line in lines)
    here = tmp_path / "here"
    run_training(request_for(), here, threads=1, idle_seconds=0)
    for ours, theirs in zip(records_of(served, [1, 3]), records_of(here, [1, 3])):
        np.testing.assert_array_equal(ours, theirs)


def test_a_rank_longer_than_the_timeout_is_no_silence(
    tmp_path, runtime_dir, request_for
):
    run_training(request_for(), tmp_path / "warm-up", 1, 30, reply_timeout=60)
    slow = request_for("paper", {"samples": 100000, "epochs": 60})
    lines = []
    run_training(slow, tmp_path / "served", 1, 30, log=lines.append, reply_timeout=1)
    seconds = [
        float(line.split(", ")[1].split()[0])
        for line in lines
        if line.startswith("rank ")
    ]
    assert min(seconds) > 1.2  # each rank outlasts the 1 s timeout
    assert "warm" in lines[0] and not any("attempt" in line for line in lines)
    here = tmp_path / "here"
    run_training(slow, here, threads=1, idle_seconds=0)
    for ours, theirs in zip(
        records_of(tmp_path / "served", [1, 3]), records_of(here, [1, 3])
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_a_slot_log_is_rotated_and_the_cache_evicts_its_oldest(tmp_path):
    log = tmp_path / "key-0.log"
    log.write_bytes(b"x" * 2000)
    slots.rotate_log(log, limit=1000)
    assert not log.exists() and (tmp_path / "key-0.log.old").stat().st_size == 2000
    log.write_bytes(b"y" * 10)
    slots.rotate_log(log, limit=1000)
    assert log.read_bytes() == b"y" * 10
    cache = tmp_path / "xla-cache"
    cache.mkdir()
    for age, name in enumerate(["newest", "middle", "oldest"]):
        entry = cache / name
        entry.write_bytes(b"z" * 100)
        os.utime(entry, (1e9 - age, 1e9 - age))
    assert compilation_cache.evict_oldest(cache, limit=250) == 1
    assert sorted(p.name for p in cache.iterdir()) == ["middle", "newest"]
    stale = tmp_path / "other-0.log"
    stale.write_text("a week old")
    os.utime(stale, (1e9, 1e9))
    slots.prune_old_logs(tmp_path)
    assert not stale.exists() and log.exists() and (tmp_path / "key-0.log.old").exists()
