"""A study whose jobs' Python lacks their software stops at the start, naming
what is missing and the line that installs it (the run in a Python with
Snakemake alone is in test_workflow.py, beside that Python's fixture)."""

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from test_workflow import source_tree_study

from lowrank.software_check import (
    MissingSoftware,
    check_software,
    install_line,
    job_requirements,
    missing_software,
    unmet,
)

REPO = Path(__file__).resolve().parents[1]


def test_the_jobs_need_the_dependencies_and_training_not_cuda_or_tests():
    names = {Requirement(r).name for r in job_requirements(REPO / "pyproject.toml")}
    assert {"numpy", "pillow", "h5py", "keras", "tensorflow"} <= names
    assert not names & {"snakemake", "pytest", "nvidia-cudnn-cu12"}
    without = job_requirements(REPO / "pyproject.toml", extras=())
    assert "keras" not in {Requirement(r).name for r in without}


def test_this_python_has_everything():
    assert missing_software(job_requirements(REPO / "pyproject.toml")) == []


@pytest.mark.parametrize(
    ("requirement", "version", "why"),
    [
        ("keras>=3", None, "not installed"),
        ("keras>=3", "2.15.0", "2.15.0 installed, >=3 needed"),
        ("keras>=3", "3.0.0rc1", None),
        ("snakemake>=9,<10", "9.27.1", None),
        ("jax>=0.4.30", "0.4.4", "0.4.4 installed, >=0.4.30 needed"),
    ],
)
def test_lower_bounds_are_checked(requirement, version, why):
    assert unmet(requirement, version) == why


def test_the_message_names_the_missing_and_the_install_line(tmp_path):
    versions = {"numpy": "2.0", "keras": "2.15"}
    with pytest.raises(MissingSoftware) as raised:
        check_software(REPO, "/opt/py", version_of=versions.get)
    message = str(raised.value)
    assert "pillow>=10 (not installed)" in message
    assert "keras>=3 (2.15 installed, >=3 needed)" in message
    assert "numpy" not in message
    assert install_line(REPO) in message
    tree = tmp_path / "a b"
    assert install_line(tree) == (
        f"pip install -c '{tree}/constraints.txt' '{tree}[training,workflow]'"
    )


@pytest.mark.workflow
def test_a_study_in_a_python_with_everything_plans(tmp_path):
    study = source_tree_study(tmp_path / "study")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1"],
        cwd=study, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lacks" not in result.stderr
