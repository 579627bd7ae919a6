"""Where networks train: the device the framework used, GPU jobs without a
GPU, the Keras backend as a setting, and GPUs shared by small trainings."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from lowrank.errors import GPUMissingError
from lowrank.evaluation.summary import read_table
from lowrank.training import gpu_probe
from lowrank.training.device_policy import device_warning, gpu_expectation
from lowrank.training.gpu_lease import lease_device
from lowrank.training.initial_weights import initial_kernel

REPO = Path(__file__).resolve().parents[1]
FORCED_GPU = ["--set-resources", "train:gpu=1"]
# The numbers a backend computes; the rest says how and where.
MEASURES = ["rel_err_2", "rel_err_fro", "delta_rel_err_2", "delta_rel_err_fro",
            "numerical_rank", "principal_angle", "psnr", "ssim", "steps",
            "final_loss"]  # fmt: skip


def test_gpu_expectation_follows_the_setting_and_the_resource():
    assert gpu_expectation("gpu", 0) == "required"
    assert gpu_expectation("auto", 1) == "expected"
    assert gpu_expectation("cpu", 1) == "expected"  # forced by --set-resources
    assert gpu_expectation("auto", 0) == "none"


def test_a_gpu_job_without_a_gpu_warns_and_a_required_gpu_fails():
    assert device_warning("none", 0, "jax 0.10") == ""
    assert device_warning("expected", 1, "jax 0.10") == ""
    warning = device_warning("expected", 0, "jax 0.10")
    assert "jax 0.10 sees no GPU" in warning and "make study GPU=1" in warning
    with pytest.raises(GPUMissingError, match="training.device is gpu.*GPU=1"):
        device_warning("required", 0, "jax 0.10")


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "lecun_normal"])
def test_initial_kernels_have_the_initializers_variance(name):
    import keras

    initializer = keras.initializers.get(name)
    kernel = initial_kernel(initializer, (400, 300), np.random.default_rng(0))
    fan = {"fan_in": 400, "fan_out": 300, "fan_avg": 350}[initializer.mode]
    assert kernel.std() == pytest.approx(np.sqrt(initializer.scale / fan), rel=0.02)
    if initializer.distribution == "truncated_normal":
        limit = 2 * np.sqrt(initializer.scale / fan) / 0.87962566103423978
        assert np.abs(kernel).max() <= limit


@pytest.mark.parametrize("shape", [(6, 3), (3, 6)])
def test_orthogonal_kernels_are_orthogonal(shape):
    import keras

    initializer = keras.initializers.Orthogonal(gain=2.0)
    kernel = initial_kernel(initializer, shape, np.random.default_rng(1))
    small = min(shape)
    product = kernel.T @ kernel if shape[0] > shape[1] else kernel @ kernel.T
    np.testing.assert_allclose(product, 4.0 * np.eye(small), atol=1e-12)


def test_an_initializer_without_a_numpy_draw_is_named():
    import keras

    with pytest.raises(ValueError, match="initializer STFT"):
        initial_kernel(keras.initializers.STFT(), (4, 4), np.random.default_rng(0))


BUILD_AND_PRINT = """
from lowrank.training.network import build_bottleneck, kernels
model = build_bottleneck(5, 4, 2, seed=3)
print([k.tolist() for k in kernels(model)])
"""


def test_one_seed_is_one_network_on_every_backend():
    weights = [
        subprocess.run(
            [sys.executable, "-c", BUILD_AND_PRINT],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={**os.environ, "KERAS_BACKEND": backend},
        ).stdout  # fmt: skip
        for backend in ("tensorflow", "jax")
    ]
    assert weights[0] == weights[1] and weights[0].startswith("[[[")


def test_gpu_shares_spread_over_the_devices(tmp_path):
    tmp_path.chmod(0o1777)
    leases = [lease_device(["0", "1"], tmp_path, shares=2) for _ in range(4)]
    assert [lease.device for lease in leases] == ["0", "1", "0", "1"]
    with pytest.raises(TimeoutError, match="lowrank-gpu-1-1.lock held by pid"):
        lease_device(["0", "1"], tmp_path, timeout=0.2, poll=0.05, shares=2)
    leases[1].release()
    assert lease_device(["0", "1"], tmp_path, shares=2).device == "1"


def test_the_frameworks_view_of_the_gpus_is_asked_once(runtime_dir, monkeypatch):
    """A driver's listing is not enough: a fresh TensorFlow, which has no CUDA
    libraries here, is asked and says none; the answer is remembered."""
    listing = "GPU 0: NVIDIA Fake (UUID: GPU-0)"
    assert gpu_probe.framework_gpus("tensorflow", listing=lambda: listing) == (0, "")
    monkeypatch.setattr(gpu_probe, "_ask_framework", pytest.fail)
    assert gpu_probe.framework_gpus("tensorflow", listing=lambda: listing) == (0, "")
    assert gpu_probe.framework_gpus("tensorflow", listing=lambda: "") == (0, "")


def tiny_study(workdir, **training):
    from test_workflow import TINY_CONFIG, make_study

    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["training"].update(training)
    return make_study(workdir, config)


@pytest.fixture(scope="module")
def forced_gpu_study(tmp_path_factory):
    """The tiny study with every training forced to be a GPU job."""
    from test_workflow import snakemake

    workdir = tiny_study(tmp_path_factory.mktemp("forced"))
    snakemake(workdir, *FORCED_GPU)
    return workdir


def network_rows(workdir):
    table = read_table(workdir / "results" / "summary.csv")
    return table[table["method"].str.startswith("nn-")].reset_index(drop=True)


@pytest.mark.workflow
def test_a_gpu_job_that_trained_on_the_cpu_says_so_everywhere(forced_gpu_study):
    rows = network_rows(forced_gpu_study)
    assert len(rows) == 6 and (rows["device"] == "CPU").all()
    assert rows["backend"].str.fullmatch(r"tensorflow \d+\.\d+\.\d+").all()
    assert rows["message"].str.contains("sees no GPU: trained on the CPU").all()
    assert (rows["status"] == "ok").all()
    for log in (forced_gpu_study / "results" / "logs" / "train").rglob("*.log"):
        text = log.read_text()
        assert "warning: scheduled as a GPU job" in text
        assert re.search(r"^trained on: CPU \(tensorflow ", text, flags=re.M)
    record = next((forced_gpu_study / "results" / "approximations").rglob("*.h5"))
    with h5py.File(record) as handle:
        assert handle.attrs["device"] == "CPU"
        assert "sees no GPU" in handle.attrs["message"]
    page = (forced_gpu_study / "results" / "report" / "index.html").read_text()
    problems = page[page.index('id="problems"') :]
    assert "6 rows finished ok with a warning" in problems
    assert "6 finished ok with a warning" in page


@pytest.mark.workflow
def test_jax_trains_the_same_numbers_as_tensorflow(forced_gpu_study, tmp_path):
    from test_workflow import snakemake

    workdir = tiny_study(tmp_path, backend="jax")
    snakemake(workdir)
    ours, theirs = network_rows(workdir), network_rows(forced_gpu_study)
    assert ours["backend"].str.fullmatch(r"jax \d+\.\d+\.\d+").all()
    assert (ours["device"] == "CPU").all() and (ours["message"] == "").all()
    pd.testing.assert_frame_equal(
        ours[["input", "rank", "method", *MEASURES]],
        theirs[["input", "rank", "method", *MEASURES]],
        rtol=1e-5, atol=1e-7,
    )  # fmt: skip


@pytest.mark.workflow
def test_a_required_gpu_fails_the_trainings_and_the_rest_completes(tmp_path):
    from test_workflow import snakemake

    workdir = tiny_study(tmp_path, device="gpu")
    result = snakemake(workdir, check=False)
    assert result.returncode != 0
    logs = list((workdir / "results" / "logs" / "train").rglob("*.log"))
    assert len(logs) == 4
    for log in logs:
        text = log.read_text()
        assert "training failed: " in text and "Traceback" not in text
        assert "training.device is gpu, but tensorflow" in text
        assert "make study GPU=1" in text
    results = workdir / "results"
    assert len(list((results / "svd").glob("*.h5"))) == 2
    assert list((results / "rate_distortion").glob("*.csv"))
    assert not (results / "approximations").exists()


@pytest.mark.workflow
def test_auto_with_a_gpu_the_framework_cannot_use_trains_on_the_cpu(tmp_path):
    """nvidia-smi lists a GPU, TensorFlow sees none: trainings ask for no
    gpu (they run side by side), and the study says why."""
    from test_workflow import snakemake

    if shutil.which("nvidia-smi"):
        pytest.skip("a real nvidia-smi: its framework may see the GPU")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text('#!/bin/sh\necho "GPU 0: Fake (UUID: GPU-0)"\n')
    (fake / "nvidia-smi").chmod(0o755)
    workdir = tiny_study(tmp_path / "study")
    environ = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    environ.pop("CUDA_VISIBLE_DEVICES")  # conftest hides GPUs from other tests
    result = snakemake(workdir, "--dry-run", env=environ)
    assert "nvidia-smi lists GPUs, but tensorflow sees none" in result.stderr
    trainings = re.findall(r"rule train:.*?resources: ([^\n]*)", result.stdout, re.S)
    assert len(trainings) == 4
    assert all("gpu=0" in line and "cpu_training=1" in line for line in trainings)


@pytest.mark.workflow
def test_shared_gpus_ask_for_a_share_each(tmp_path):
    from test_workflow import snakemake

    workdir = tiny_study(tmp_path, device="gpu", per_gpu=3)
    result = snakemake(workdir, "--dry-run")
    trainings = re.findall(r"rule train:.*?resources: ([^\n]*)", result.stdout, re.S)
    assert len(trainings) == 4
    assert all("gpu=0" in line and "gpu_share=1" in line for line in trainings)


def test_both_locks_pin_the_same_frameworks():
    """The CUDA lock adds CUDA wheels and changes nothing else."""
    cpu, cuda = (_pins(REPO / f"constraints{kind}.txt") for kind in ("", "-cuda"))
    for name in ("tensorflow", "keras", "numpy", "jax", "jaxlib"):
        assert cpu[name] == cuda[name], name
    assert {name: cuda[name] for name in cpu} == cpu
    added = set(cuda) - set(cpu)
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12", "jax-cuda12-plugin"} <= added
    assert all(name.startswith(("nvidia-", "jax-cuda")) for name in added), added
    for line in (REPO / "constraints-cuda.txt").read_text().splitlines():
        if line.split("==")[0].lower() in added:
            assert 'sys_platform == "linux"' in line and "x86_64" in line, line


def _pins(path):
    """{normalised name: version} of a lock file."""
    pins = {}
    for line in path.read_text().splitlines():
        requirement = line.split(";")[0].strip()
        if requirement and not requirement.startswith("#"):
            name, version = requirement.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_records_name_their_device_and_backend(tmp_path):
    from lowrank.records import InputMatrix, read_record, write_matrix
    from lowrank.training.train import train_ranks

    matrix = np.random.default_rng(2).uniform(size=(1, 5, 4))
    write_matrix(tmp_path / "m.h5", InputMatrix(matrix, "m", "uniform", "t", "m"))
    lines = list(train_ranks(tmp_path / "m.h5", [1], "exact", {}, tmp_path))
    record = read_record(tmp_path / "rank1.h5")
    assert record.device == "CPU" and record.backend.startswith("tensorflow ")
    assert record.message == "" and lines[0] == f"trained on: CPU ({record.backend})"


@pytest.mark.parametrize(
    "initializer, expected",
    [
        ("zeros", 0.0),
        ("ones", 1.0),
        ({"class_name": "Constant", "config": {"value": 2.5}}, 2.5),
    ],
)
def test_constant_initial_kernels(initializer, expected):
    import keras

    kernel = initial_kernel(keras.initializers.get(initializer), (2, 3), None)
    assert kernel.shape == (2, 3) and (kernel == expected).all()
