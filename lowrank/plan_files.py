"""Files the workflow writes as it plans a study, for its jobs to read: the
arguments of an aggregate job (the files it reads, the report's sections:
a study of thousands of inputs lists more paths than one command line may
hold, 128 KiB on Linux) and the jobs' conda environment files
(:mod:`lowrank.conda_envs`).

Each is rewritten only when its text changes, so that its time says when
what it holds last changed: an aggregate job reruns when its list does, not
at every plan."""

import json
import os
from pathlib import Path


def replace_text(path, text):
    """Make ``path`` hold ``text``: untouched if it does, else replaced whole
    (a reader never sees half a file)."""
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_arguments(path, arguments):
    """Write a job's ``arguments`` (a JSON-able mapping) to ``path``."""
    replace_text(path, json.dumps(arguments, sort_keys=True))


def read_arguments(path, keys):
    """The arguments at ``path``; a ValueError names the file and any of
    ``keys`` it lacks."""
    arguments = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = set(keys) - set(arguments if isinstance(arguments, dict) else ())
    if missing:
        raise ValueError(f"{path}: not a job's arguments (lacks {sorted(missing)})")
    return arguments
