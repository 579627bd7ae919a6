"""The conda environments of the workflow's jobs under ``--sdm conda``.

Each installs this source tree's lowrank package, with the extras its jobs
import (training: TensorFlow, Keras, JAX; analysis: none), under the project's
lock (constraints.txt). Conda brings Python and pip only: every other package
comes from PyPI at the locked version, as the README's set-up installs it, so
that a job under conda runs the wheels the test suite ran. The CUDA build of
the training environment adds the ``cuda`` extra under constraints-cuda.txt,
as ``make GPU=1`` does; its CUDA libraries are pip wheels, which do not ask
conda for a ``__cuda`` virtual package, so a login node without a GPU builds
it as it is (no CONDA_OVERRIDE_CUDA).

Snakemake copies an environment file before conda reads it, so the file names
the source tree and the lock by absolute path. The package is installed
editable: the jobs run the workflow's code as it is, and an edit reruns the
jobs the rerun table names. Snakemake keys an environment by its file's text,
and reruns every job whose environment changed: the text carries a digest of
what the environment installs (pyproject.toml and the lock), no more.
Standard library only: planning imports it.
"""

import hashlib
import json
import shlex
import tomllib
from pathlib import Path

from lowrank.plan_files import replace_text

# constraints.txt is made on this Python (its header says so).
LOCK_PYTHON = "3.11"
LOCK_FILE = "constraints.txt"
CUDA_LOCK_FILE = "constraints-cuda.txt"
ENVIRONMENTS = ("analysis", "training")


def environment_builds(cuda):
    """{environment: (the package extras its jobs import, its lock file)}."""
    training = (
        (("training", "cuda"), CUDA_LOCK_FILE) if cuda else (("training",), LOCK_FILE)
    )
    return {"analysis": ((), LOCK_FILE), "training": training}


def is_package_tree(folder):
    """Whether ``folder`` holds what an environment installs from: the
    package's metadata and its locks beside it."""
    names = ("pyproject.toml", LOCK_FILE, CUDA_LOCK_FILE)
    return folder is not None and all((Path(folder) / name).is_file() for name in names)


def dependency_digest(source_tree, lock):
    """SHA-256 of the package's requirements (pyproject.toml's Python and
    dependencies, extras too) and ``lock``: what, besides the editable
    package, an environment installs. Not its version or its tools'
    settings: Snakemake reruns every job whose environment changed."""
    tree = Path(source_tree)
    project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = {
        key: project["project"].get(key)
        for key in ("requires-python", "dependencies", "optional-dependencies")
    }
    digest = hashlib.sha256(json.dumps(requirements, sort_keys=True).encode())
    digest.update(lock.encode() + b"\0" + (tree / lock).read_bytes())
    return digest.hexdigest()


def environment_text(source_tree, extras, lock):
    """The conda environment file of jobs that import ``extras``, under
    ``lock``."""
    tree = Path(source_tree).resolve()
    digest = dependency_digest(tree, lock)
    package = str(tree) + (f"[{','.join(extras)}]" if extras else "")
    pip_lines = [
        f"--constraint {shlex.quote(str(tree / lock))}",
        f"--editable {shlex.quote(package)}",
    ]
    return environment_file(
        [
            # JSON-quoted: a newline in the path cannot start a line (a key).
            f"# lowrank's jobs: the package of {json.dumps(str(tree))},",
            "# its dependencies",
            f"# locked (digest {digest}); made by lowrank.conda_envs at each plan.",
        ],
        pip_lines,
    )


def environment_file(comments, pip_lines):
    """An environment file: conda's Python and pip, then ``pip_lines``, under
    the ``comments`` lines."""
    return "\n".join(
        [
            *comments,
            "channels:",
            "  - conda-forge",
            "  - nodefaults",
            "dependencies:",
            f"  - python={LOCK_PYTHON}",
            "  - pip",
            "  - pip:",
            # JSON strings are YAML strings, whatever a path or URL holds.
            *(f"      - {json.dumps(line)}" for line in pip_lines),
            "",
        ]
    )


def hosted_release(rules_folder):
    """(package URL, {lock: URL}) of the release a module from a Git host
    was read from (``rules_folder``: Snakemake's source file of
    workflow/rules, a GitHub or GitLab file with ``host``, ``repo`` and
    ``ref``), or None for any other source. The lock's URL is Snakemake's
    own for that file of the same ref, without a token."""
    if not all(hasattr(rules_folder, name) for name in ("host", "repo", "ref")):
        return None
    package_url = (
        f"git+https://{rules_folder.host}/{rules_folder.repo}@{rules_folder.ref}"
    )
    locks = {
        lock: rules_folder.join(f"../../{lock}").get_path_or_uri(secret_free=True)
        for lock in (LOCK_FILE, CUDA_LOCK_FILE)
    }
    return package_url, locks


def released_environment_text(package_url, lock_urls, extras, lock):
    """The environment file of a module from a Git host: lowrank installed
    from the module's own repository at its own tag (``package_url``,
    ``git+https://host/owner/name@tag``), under that tag's lock
    (``lock_urls[lock]``). No path of this machine: the file moves and
    containerises. The text changes with the tag, so a new release rebuilds
    the environments and reruns the study."""
    package = "lowrank" + (f"[{','.join(extras)}]" if extras else "")
    pip_lines = [
        f"--constraint {shlex.quote(lock_urls[lock])}",
        f"{package} @ {package_url}",
    ]
    return environment_file(
        [
            f"# lowrank's jobs: the package at {json.dumps(package_url)},",
            "# its dependencies locked by that release; made by lowrank.conda_envs.",
        ],
        pip_lines,
    )


def environment_paths(folder):
    """{name: absolute path} of the environment files in ``folder``."""
    folder = Path(folder).resolve()
    return {name: str(folder / f"{name}.yaml") for name in ENVIRONMENTS}


def write_environments(source_tree, folder, cuda, release=None):
    """Write each environment's file into ``folder`` (the CUDA build of the
    training one if ``cuda``), rewritten only when its text changes (conda
    reads it later, from another process): from ``source_tree``, or where
    there is none, from ``release``, (package URL, {lock: URL})."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    builds = environment_builds(cuda)
    for name, path in environment_paths(folder).items():
        extras, lock = builds[name]
        if source_tree is None:
            text = released_environment_text(*release, extras, lock)
        else:
            text = environment_text(source_tree, extras, lock)
        replace_text(path, text)
