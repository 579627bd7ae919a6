import os
import subprocess
import sys
import time

import pytest

from lowrank.training.gpu_lease import assign_device, lease_device, visible_devices

HOLD = """
import sys, time
from lowrank.training.gpu_lease import lease_device
lease = lease_device(["0", "1"], lease_dir=sys.argv[1], timeout=float(sys.argv[2]))
print(lease.device, flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(lease_dir, timeout=5.0, seconds=60.0):
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lease_dir), str(timeout), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_visible_devices():
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "2,3"}) == ["2", "3"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert visible_devices({}, probe=lambda: 2) == ["0", "1"]


def test_concurrent_jobs_get_distinct_devices_and_a_killed_job_frees_its_own(tmp_path):
    first, second = hold(tmp_path), hold(tmp_path)
    try:
        devices = {first.stdout.readline().strip(), second.stdout.readline().strip()}
        assert devices == {"0", "1"}
        with pytest.raises(TimeoutError, match="lowrank-gpu-1.lock held by pid"):
            lease_device(["0", "1"], lease_dir=tmp_path, timeout=0.5, poll=0.1)
        first.kill()
        first.wait()
        time.sleep(0.2)
        lease = lease_device(["0", "1"], lease_dir=tmp_path, timeout=5, poll=0.1)
        assert lease.device in devices
        lease.release()
    finally:
        for process in (first, second):
            process.kill()
            process.wait()


def test_single_or_no_device_needs_no_lease(tmp_path):
    environ = {"CUDA_VISIBLE_DEVICES": "3"}
    assert assign_device(environ, lease_dir=tmp_path).device == "3"
    assert environ["CUDA_VISIBLE_DEVICES"] == "3"
    assert (
        assign_device({"CUDA_VISIBLE_DEVICES": ""}, lease_dir=tmp_path).device is None
    )
    assert list(tmp_path.iterdir()) == []


def test_assign_narrows_the_environment(tmp_path):
    environ = {"CUDA_VISIBLE_DEVICES": "4,5"}
    lease = assign_device(environ, lease_dir=tmp_path)
    assert environ["CUDA_VISIBLE_DEVICES"] == lease.device == "4"
    other = assign_device({"CUDA_VISIBLE_DEVICES": "4,5"}, lease_dir=tmp_path)
    assert other.device == "5"
    lease.release()
    other.release()


def test_leases_do_not_follow_a_private_temp_folder(tmp_path):
    # A study points TMPDIR into its private runtime folder; GPU leases must
    # stay where every user of the machine looks.
    code = "from lowrank.training.gpu_lease import LEASE_DIR; print(LEASE_DIR)"
    environ = {**os.environ, "TMPDIR": str(tmp_path)}
    environ.pop("LOWRANK_GPU_LEASE_DIR", None)
    found = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True
    )
    assert found.stdout.strip() == "/tmp"
