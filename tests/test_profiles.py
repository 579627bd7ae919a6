"""Profiles compose: what a user's profile sets reaches every job, and the
shipped SLURM profile sends trainings to the compute nodes' GPUs."""

import os
import re
from pathlib import Path

import yaml
from slurm_cluster import users_profile
from test_workflow import TINY_CONFIG, make_study, snakemake

REPO = Path(__file__).resolve().parents[1]


def dry_run_resources(study, *args):
    """(rule, resources) of every job a dry run plans, group members included."""
    result = snakemake(
        study, "-n", *args, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    )
    jobs, rule = [], None
    for line in result.stdout.splitlines():
        if match := re.match(r"\s*rule (\w+):", line):
            rule = match[1]
        elif match := re.match(r"\s*resources: (.*)", line):
            pairs = (item.split("=", 1) for item in match[1].split(", "))
            jobs.append((rule, dict(pairs)))
    return jobs


def test_a_users_account_partition_and_qos_reach_every_job(tmp_path):
    study = make_study(tmp_path / "study", TINY_CONFIG)
    profile = users_profile(study)
    jobs = dry_run_resources(study, "--profile", str(profile.relative_to(study)))
    rules = {rule for rule, _ in jobs}
    assert {"prepare", "train", "evaluate", "rate_distortion", "report_page"} <= rules
    for rule, resources in jobs:
        assert resources["slurm_account"] == "lab", rule
        assert resources["slurm_partition"] == "debug", rule
        assert resources["qos"] == "normal", rule
    # The rules' own figures stay: a profile adds to them.
    trainings = [resources for rule, resources in jobs if rule == "train"]
    assert {r["mem_mb"] for r in trainings} == {"2000"}
    assert {r["runtime"] for r in trainings} == {"120"}
    # This machine has no GPU; the profile still asks one per training.
    assert {r["gpu"] for r in trainings} == {"1"}


def test_trainings_ask_for_no_gpu_here_without_the_profile(tmp_path):
    study = make_study(tmp_path / "study", TINY_CONFIG)
    trainings = [r for rule, r in dry_run_resources(study) if rule == "train"]
    assert trainings and {r["gpu"] for r in trainings} == {"0"}


def test_the_workflow_profile_holds_no_resources():
    # Snakemake lets the workflow profile win over a user's --profile.
    profile = yaml.safe_load((REPO / "profiles/default/profile.yaml").read_text())
    assert set(profile) == {"rerun-incomplete", "keep-going"}


def test_the_slurm_profile_sends_no_job_arrays():
    # An array gets its first job's resources; trainings differ in memory.
    text = (REPO / "profiles/slurm/profile.yaml").read_text()
    profile = yaml.safe_load(text)
    assert not any("array" in key for key in profile)
    assert profile["groups"] == {"prepare": "inputs", "evaluate": "scores"}


def test_disk_and_time_are_stated_where_snakemake_would_fill_them_in(tmp_path):
    study = make_study(tmp_path / "study", TINY_CONFIG)
    # Here, without default-resources, nothing reads them.
    for rule, resources in dry_run_resources(study):
        assert not {"disk_mb", "runtime"} & set(resources), rule
    # Any default-resources bring Snakemake's disk_mb from input sizes: the
    # rules' own figures replace it.
    given = dry_run_resources(study, "--default-resources", "qos=normal")
    stated = [resources for rule, resources in given if rule != "default"]
    assert {r["disk_mb"] for r in stated} == {"1000"}
    assert {r["runtime"] for r in stated} == {"30", "120"}
