"""pyproject.toml and environment.yml list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's.
CONDA_NAMES = {"tables": "pytables"}


def requirement(text):
    name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", text.strip()).groups()
    name = name.lower()
    return CONDA_NAMES.get(name, name), spec.replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if not d.startswith("python")]
    assert sorted(map(requirement, conda)) == sorted(map(requirement, wanted))


def test_workflow_env_is_the_project_environment():
    env = REPO / "workflow" / "envs" / "lowrank.yaml"
    assert env.resolve() == (REPO / "environment.yml").resolve()
