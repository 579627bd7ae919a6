"""Whether the Python that runs a study's jobs has the software they import,
asked once as the study is planned, so that a missing library stops the
study before any job runs, with the line that installs it, instead of
failing every job with the cause in its log.

Standard library only: it runs in Snakemake's Python, which may have nothing
else. It reads the requirements from the workflow's own pyproject.toml and
asks importlib.metadata which distributions are installed."""

import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path

from lowrank.conda_envs import LOCK_FILE

# The extras a study's jobs need beside the package's own dependencies.
JOB_EXTRAS = ("training",)
# What the README's set-up installs beside them for a user's own Python.
INSTALL_EXTRAS = ("training", "workflow")

REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*"
    r"(?P<spec>[^;]*?)\s*(?:;(?P<marker>.*))?$"
)


class MissingSoftware(RuntimeError):
    """The jobs' Python lacks distributions the jobs import."""


def job_requirements(pyproject, extras=JOB_EXTRAS):
    """The requirement strings of ``pyproject`` (a path) that the jobs need:
    its dependencies and ``extras``, without platform-marked ones (the CUDA
    wheels, which only some machines install)."""
    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    wanted = [*project["dependencies"], *(r for e in extras for r in optional[e])]
    return [r for r in wanted if ";" not in r]


def version_tuple(text):
    """The leading release numbers of a version (``2.16.1rc0`` -> (2, 16, 1))."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def unmet(requirement, installed_version):
    """Why ``requirement`` is not met by ``installed_version`` (None if not
    installed), or None where it is. Only lower bounds are checked: an upper
    bound is the lock's business."""
    if installed_version is None:
        return "not installed"
    spec = REQUIREMENT.match(requirement)["spec"]
    for bound in re.findall(r">=\s*([0-9][0-9.]*)", spec):
        if version_tuple(installed_version) < version_tuple(bound):
            return f"{installed_version} installed, >={bound} needed"
    return None


def installed(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def missing_software(requirements, version_of=installed):
    """(requirement, why) for each requirement this Python does not meet."""
    found = []
    for requirement in requirements:
        name = REQUIREMENT.match(requirement)["name"]
        why = unmet(requirement, version_of(name))
        if why:
            found.append((requirement, why))
    return found


def install_line(source_tree, extras=INSTALL_EXTRAS):
    """The pip command that installs the locked software for ``source_tree``."""
    tree = Path(source_tree)
    target = f"{tree}[{','.join(extras)}]"
    return f"pip install -c {shlex.quote(str(tree / LOCK_FILE))} {shlex.quote(target)}"


def check_software(source_tree, python, extras=JOB_EXTRAS, version_of=installed):
    """Raise MissingSoftware naming what ``python`` (the jobs' interpreter,
    this one) lacks of ``source_tree``'s requirements with ``extras``, and
    how to install it."""
    requirements = job_requirements(Path(source_tree) / "pyproject.toml", extras)
    missing = missing_software(requirements, version_of)
    if missing:
        listed = "; ".join(f"{req} ({why})" for req, why in missing)
        raise MissingSoftware(
            f"the Python that runs this study's jobs ({python}) lacks what they "
            f"import: {listed}. Install it into that Python with\n"
            f"    {install_line(source_tree)}\n"
            "or run with --sdm conda, which builds the jobs' environments."
        )
