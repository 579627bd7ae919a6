"""Digests of the lowrank source a workflow step runs.

Snakemake reruns a job when its rule's command changes but cannot see the
program the command runs, nor the modules that program imports. A job's
``params`` carry the digest of its program and of every lowrank module the
program reaches through imports (:func:`step_digests`), so editing one of
them reruns exactly the jobs that run it: the table "What an edit reruns" of
`docs/design.md` is the contract, and tests/test_reruns.py holds it.

A string constant ``"lowrank.module:function"`` (a function imported when
first used, as the training service names its server) counts as an import of
that module. The regime registry names its trainers otherwise
(:class:`lowrank.training.regimes.RegimeInfo`), so that its readers do not
depend on every trainer: a training job adds its own regime's modules. A
module that reads data files of the package names them, relative to its own
folder, in ``SOURCE_DATA = ("templates", "../data/x.csv", ...)``, and those
files (every file under a folder) count as its source.
"""

import ast
import functools
import hashlib
import os
import re
from pathlib import Path

from lowrank.training.regimes import regime_modules

PACKAGE = "lowrank"
PACKAGE_DIR = Path(__file__).resolve().parent
LAZY_REFERENCE = re.compile(rf"^({PACKAGE}(?:\.\w+)+):\w+$")


def imported_modules(path):
    """Names of the lowrank modules imported by the Python file ``path``."""
    return set(_source_facts(Path(path).read_text(encoding="utf-8"), str(path))[0])


@functools.cache
def _source_facts(source, filename):
    """(lowrank modules imported, ``SOURCE_DATA`` folders) of one source text,
    parsed once per text: a workflow digests several scripts whose closures
    share most modules; an edited file is parsed anew."""
    tree = ast.parse(source, filename=filename)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = LAZY_REFERENCE.findall(node.value)
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        # Importing a.b.c runs the __init__ of a and of a.b first.
        parents = [name.rsplit(".", depth)[0] for name in names for depth in (1, 2, 3)]
        found.update(n for n in [*names, *parents] if _module_file(n) is not None)
    return frozenset(found), tuple(_data_paths(tree))


def _data_paths(tree):
    """The paths a module's top-level ``SOURCE_DATA`` tuple lists."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "SOURCE_DATA" for t in node.targets)
            and isinstance(node.value, ast.Tuple | ast.List)
        ):
            yield from (element.value for element in node.value.elts)


def _files_under(folder):
    files = folder.rglob("*")
    return (f for f in files if f.is_file() and "__pycache__" not in f.parts)


def module_closure(path, modules=()):
    """Files of every lowrank module reachable by imports from ``path`` and
    from the modules named in ``modules`` (dotted names), and the data files
    those modules name in ``SOURCE_DATA`` (files, or folders: every file
    under them), sorted."""
    seen = {_module_file(name) for name in modules}
    pending = [Path(path), *seen]
    while pending:
        file = pending.pop()
        imports, data = _source_facts(file.read_text(encoding="utf-8"), str(file))
        for path in (Path(os.path.normpath(file.parent / name)) for name in data):
            seen.update([path] if path.is_file() else _files_under(path))
        for name in imports:
            module = _module_file(name)
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)


def source_digest(path, modules=()):
    """SHA-256 over the source of ``path`` and of the lowrank modules it
    depends on (:func:`module_closure`)."""
    digest = hashlib.sha256()
    digest.update(Path(path).name.encode())
    digest.update(_code_bytes(Path(path)))
    for file in module_closure(path, modules):
        digest.update(str(file.relative_to(PACKAGE_DIR)).encode())
        digest.update(_code_bytes(file))
    return digest.hexdigest()[:16]


# The release number in lowrank/__init__.py, which every step imports: it is
# provenance (each record carries it), not code, so a new release reruns
# nothing for it. Digested as the number the digests were first taken
# under, so that a study run with 0.1.0 keeps its digests.
VERSION_LINE = re.compile(rb'^__version__ = "[^"\n]*"$', flags=re.M)
DIGESTED_VERSION_LINE = b'__version__ = "0.1.0"'


def _code_bytes(file):
    source = file.read_bytes()
    if file == PACKAGE_DIR / "__init__.py":
        return VERSION_LINE.sub(DIGESTED_VERSION_LINE, source)
    return source


# The program of each of the workflow's steps, a lowrank module run as
# ``python -m``, by rule name.
STEP_MODULES = {
    "fetch": "lowrank.inputs.fetch_job",
    "prepare": "lowrank.decomposition.prepare_job",
    "train": "lowrank.training.job",
    "evaluate": "lowrank.evaluation.job",
    "rate_distortion": "lowrank.evaluation.rate_distortion_job",
    "summary": "lowrank.evaluation.summary_job",
    "bd_rates": "lowrank.evaluation.bd_rates_job",
    "paper_tables": "lowrank.report.paper_tables_job",
    "report_page": "lowrank.report.page_job",
}


def step_digests(regimes):
    """The code digest of each step, by rule name; a training job's is by
    ``train:<regime>``, for each of ``regimes`` (the registered regimes the
    study trains), and covers that regime's network and trainer only."""
    digests = {
        step: source_digest(_module_file(module))
        for step, module in STEP_MODULES.items()
        if step != "train"
    }
    digests.update(
        (f"train:{regime}",
         source_digest(_module_file(STEP_MODULES["train"]), regime_modules(regime)))
        for regime in regimes
    )  # fmt: skip
    return digests


def _module_file(name):
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    folder = PACKAGE_DIR.joinpath(*parts[1:])
    for file in (folder / "__init__.py", folder.with_suffix(".py")):
        if file.is_file():
            return file
    return None
