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


def project_requirements(project):
    """Everything the README's set-up installs on a CPU machine."""
    extras = project["optional-dependencies"]
    return project["dependencies"] + [
        text for name in ("training", "workflow", "test") for text in extras[name]
    ]


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project_requirements(project)
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = environment["dependencies"]
    pip = next(d["pip"] for d in listed if isinstance(d, dict))
    named = [d for d in listed if isinstance(d, str) and d != "pip"]
    conda = [d for d in named if not d.startswith("python")] + pip
    assert sorted(map(requirement, conda)) == sorted(map(requirement, wanted))


def test_lock_pins_every_dependency_within_its_range():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project_requirements(project)
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    pins = {canonicalize_name(name): version for name, version in pins.items()}
    for text in wanted:
        dependency = Requirement(text)
        version = pins.get(canonicalize_name(dependency.name))
        assert version is not None, f"constraints.txt does not pin {dependency.name}"
        assert dependency.specifier.contains(version), f"{dependency.name}=={version}"
    makefile = (REPO / "Makefile").read_text()
    assert "LOCK := constraints.txt" in makefile
    assert "LOCK := constraints-cuda.txt" in makefile and "-c $(LOCK)" in makefile


def test_one_version_everywhere():
    import lowrank

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert lowrank.__version__ == version
    changelog = (REPO / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\S+)", changelog, flags=re.M)[1]
    assert newest == version


def test_a_git_modules_package_copy_lists_every_file_of_the_package():
    """workflow/package_files.txt names what a module from a Git repository
    copies out of Snakemake's source cache to import and install lowrank
    (workflow/rules/common.smk): every file of the package, and what pip
    needs to install it."""
    listed = (REPO / "workflow" / "package_files.txt").read_text().split()
    package = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "lowrank").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    installing = [
        "README.md",
        "constraints-cuda.txt",
        "constraints.txt",
        "pyproject.toml",
    ]
    assert listed == installing + package
