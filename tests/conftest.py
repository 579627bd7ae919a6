import os
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# Under pytest-xdist each worker is a user of its own: its studies' training
# servers, locks and caches in a runtime folder of its own, so that two
# workers' studies never share a server, nor find one warm from an earlier
# run of the suite (the folder names the run: the workers' parent process).
# test_shared_machine, which tries the default folders themselves, sets and
# clears the variable per test.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault(
        "LOWRANK_RUNTIME_DIR",
        os.path.join(
            tempfile.gettempdir(),
            f"lowrank-test-{os.getuid()}-{os.getppid()}-{worker}",
        ),
    )


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    """A runtime folder of the test's own (not made yet), and the process
    environment that run_training changes restored afterwards."""
    folder = tmp_path / "runtime"
    monkeypatch.setenv("LOWRANK_RUNTIME_DIR", str(folder))
    # run_training points TMPDIR into the runtime folder
    monkeypatch.setenv("TMPDIR", tempfile.gettempdir())
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    return folder


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """The tiny study of test_workflow, run once: test_reruns and
    test_workflow read it, and each test that changes it restores it."""
    from test_workflow import TINY_CONFIG, make_study, snakemake

    workdir = make_study(tmp_path_factory.mktemp("study"), TINY_CONFIG)
    snakemake(workdir)
    return workdir
