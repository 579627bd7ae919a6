"""The tiny study through the SLURM profile on a real single-node SLURM."""

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from slurm_cluster import single_node_cluster, unavailable_reason
from test_workflow import SNAKEMAKE, TINY_CONFIG, make_study, snakemake

from lowrank.evaluation.summary import read_table

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

# Timings and file locations differ between runs; every number must not.
VOLATILE = ["train_seconds", "train_cpu_seconds", "train_peak_mb", "record"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    with single_node_cluster(state) as environ:
        yield environ, state


def test_slurm_profile_reproduces_a_local_run(cluster, tmp_path):
    environ, state = cluster
    local = make_study(tmp_path / "local", TINY_CONFIG)
    snakemake(local)
    remote = make_study(tmp_path / "slurm", TINY_CONFIG)
    environ = {
        **environ,
        "PATH": f"{Path(SNAKEMAKE[0]).parent}{os.pathsep}{environ['PATH']}",
    }
    command = [
        *SNAKEMAKE, "--profile", "profiles/slurm",
        # No accounting daemon here: ask squeue, and ask soon.
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "1",
        # The shipped profile as it is; each training still asks SLURM for
        # this cluster's GPU (a name in gres.conf, which TensorFlow cannot
        # use) and says it got one its framework cannot see.
        "--set-resources", "train:gpu=1", "train:mem_mb=4000", "train:runtime=120",
    ]  # fmt: skip
    result = subprocess.run(
        ["timeout", "-k", "10", "600", *command],
        cwd=remote,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "slurm" in result.stderr.lower()
    ours, theirs = (
        read_table(study / "results" / "summary.csv").drop(columns=VOLATILE)
        for study in (remote, local)
    )
    trained = ours["method"].str.startswith("nn-")
    assert ours.loc[trained, "message"].str.contains("sees no GPU").all()
    assert (ours.loc[trained, "device"] == "CPU").all()
    pd.testing.assert_frame_equal(
        ours.drop(columns="message"), theirs.drop(columns="message")
    )
    train_log = next((remote / "results" / "logs" / "train").rglob("exact.log"))
    assert "GPU lease: 0" in train_log.read_text()
    # 9 of the tiny study's jobs run on the cluster. Each input's matrix and
    # SVD go out as one job (prepare), its evaluation and figures as another, the
    # four training jobs (one per input and regime) as one job array (two when
    # the inputs' trainings become ready at different times), and
    # rate_distortion alone.
    submissions = (state / "slurmctld.log").read_text().count("submit_batch_job")
    assert 6 <= submissions <= 7
