"""The tiny study through the SLURM profile on a real single-node SLURM."""

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from slurm_cluster import (
    recording_sbatch,
    single_node_cluster,
    submissions,
    unavailable_reason,
    users_profile,
)
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


def flag(arguments, name):
    """The value of ``name`` in one sbatch call (``-A x`` or ``--qos=x``)."""
    for index, argument in enumerate(arguments):
        if argument == name:
            return arguments[index + 1]
        if argument.startswith(name + "="):
            return argument.partition("=")[2]
    return None


def test_slurm_profile_reproduces_a_local_run(cluster, tmp_path):
    environ, state = cluster
    local = make_study(tmp_path / "local", TINY_CONFIG)
    snakemake(local)
    remote = make_study(tmp_path / "slurm", TINY_CONFIG)
    profile = users_profile(remote)
    calls = tmp_path / "sbatch.jsonl"
    stubs = recording_sbatch(tmp_path / "bin", calls)
    environ = {
        **environ,
        "PATH": os.pathsep.join(
            [str(stubs), str(Path(SNAKEMAKE[0]).parent), environ["PATH"]]
        ),
    }
    command = [
        *SNAKEMAKE, "--profile", str(profile.relative_to(remote)),
        # No accounting daemon here: ask squeue, and ask soon.
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "1",
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
    # Each training asked SLURM for the node's GPU (a name in gres.conf,
    # which TensorFlow cannot use) and says it got one its framework cannot see.
    trained = ours["method"].str.startswith("nn-")
    assert ours.loc[trained, "message"].str.contains("sees no GPU").all()
    assert (ours.loc[trained, "device"] == "CPU").all()
    pd.testing.assert_frame_equal(
        ours.drop(columns="message"), theirs.drop(columns="message")
    )
    train_log = next((remote / "results" / "logs" / "train").rglob("exact.log"))
    assert "GPU lease: 0" in train_log.read_text()

    # The user's account, partition and quality of service reach every job;
    # trainings ask for a GPU though this machine has none; no job array.
    calls = submissions(calls)
    assert calls
    for arguments in calls:
        assert flag(arguments, "-A") == "lab", arguments
        assert flag(arguments, "-p") == "debug", arguments
        assert flag(arguments, "--qos") == "normal", arguments
        assert flag(arguments, "--array") is None, arguments
    trainings = [a for a in calls if "rule_train" in " ".join(a)]
    assert len(trainings) == 4
    assert all(flag(a, "--gpus") == "1" for a in trainings), trainings
    # Both inputs' matrices and SVDs go out as one job (the profile's group
    # of prepare jobs), each training alone, the evaluations as one job or
    # two (when the inputs' trainings end at different times), and
    # rate_distortion alone.
    assert 7 <= len(calls) <= 8
    assert len(calls) == (state / "slurmctld.log").read_text().count("submit_batch_job")
