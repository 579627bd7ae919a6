import os
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


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
