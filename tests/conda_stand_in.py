"""A stand-in for conda, for Snakemake's --sdm conda where no conda channel
can be reached (this machine reaches PyPI only).

It answers the commands Snakemake 9 sends conda and builds an environment
file of lowrank's kind (lowrank.conda_envs: conda's Python and pip, the rest
from PyPI) as a venv of this Python, installing the pip section the way conda
does: the entries as a requirements file beside the environment file, pip run
in that folder. Anything else in the file is refused, so the stand-in can not
pass off an environment it did not build.

Usage: the test puts an executable ``conda`` on PATH that runs this file;
``<base>/bin/activate ENV`` (written by ``install``) puts ENV/bin first on PATH.
"""

import json
import shlex
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import yaml

VERSION = "24.11.3"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ACTIVATE = 'export PATH="$1/bin:$PATH" CONDA_PREFIX="$1"\n'


def install(base):
    """Make ``base`` a stand-in conda installation; returns its bin folder."""
    bin_folder = Path(base) / "bin"
    bin_folder.mkdir(parents=True)
    conda = bin_folder / "conda"
    program = " ".join(map(shlex.quote, [sys.executable, __file__, str(base)]))
    conda.write_text(f'#!/bin/sh\nexec {program} "$@"\n')
    conda.chmod(0o755)
    (bin_folder / "activate").write_text(ACTIVATE)
    return bin_folder


def pip_entries(environment_file):
    """The pip section of an environment file that asks conda for this
    Python and pip only; else SystemExit naming what it asks for."""
    spec = yaml.safe_load(Path(environment_file).read_text())
    dependencies = list(spec["dependencies"])
    sections = [entry for entry in dependencies if isinstance(entry, dict)]
    conda_packages = sorted(entry for entry in dependencies if isinstance(entry, str))
    if conda_packages != ["pip", f"python={PYTHON}"] or len(sections) != 1:
        raise SystemExit(f"stand-in conda builds python={PYTHON} and pip only: {spec}")
    return sections[0]["pip"]


def create(environment_file, prefix):
    entries = pip_entries(environment_file)
    venv.create(prefix, with_pip=True, clear=True)
    folder = Path(environment_file).parent
    with tempfile.NamedTemporaryFile(
        "w", dir=folder, prefix="condaenv.", suffix=".requirements.txt"
    ) as requirements:
        requirements.write("\n".join(entries) + "\n")
        requirements.flush()
        subprocess.run(
            [Path(prefix) / "bin" / "python", "-m", "pip", "install", "--quiet",
             "-U", "-r", requirements.name],
            cwd=folder, check=True,
        )  # fmt: skip


def main(base, *args):
    if args == ("info", "--json"):
        print(json.dumps({"conda_prefix": base, "platform": "linux-64"}))
    elif args == ("--version",):
        print(f"conda {VERSION}")
    elif args == ("config", "--get", "channel_priority", "--json"):
        print(json.dumps({"get": {"channel_priority": "strict"}}))
    elif args[0] == "clean":
        pass  # it downloads no conda packages
    elif args[:2] == ("env", "create"):
        create(args[args.index("--file") + 1], args[args.index("--prefix") + 1])
    else:
        raise SystemExit(f"stand-in conda does not know: conda {' '.join(args)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
