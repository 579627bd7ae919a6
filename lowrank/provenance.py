"""Digests of the lowrank source a workflow step runs.

Snakemake reruns a job when its ``script:`` changes but cannot see the
modules the script imports, nor the program a ``shell:`` rule runs. A step's
``params`` carry the digest of its script and of every lowrank module the
script reaches through imports, so editing one of them reruns exactly the
steps that use it. A string constant ``"lowrank.module:function"`` (a
function imported when first used, as :mod:`lowrank.training.regimes` names its
trainers) counts as an import of that module. A module that reads files of
its own folder names them in ``SOURCE_DATA = ("folder", ...)``, and the
files under those folders count as its source (the report's templates).
"""

import ast
import functools
import hashlib
import re
from pathlib import Path

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
        found.update(name for name in names if _module_file(name) is not None)
    return frozenset(found), tuple(_data_folders(tree))


def _data_folders(tree):
    """The folder names a module's top-level ``SOURCE_DATA`` tuple lists."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "SOURCE_DATA" for t in node.targets)
            and isinstance(node.value, ast.Tuple | ast.List)
        ):
            yield from (element.value for element in node.value.elts)


def module_closure(path):
    """Files of every lowrank module reachable from ``path`` by imports, and
    the files under the folders those modules name in ``SOURCE_DATA``, sorted."""
    seen, pending = set(), [Path(path)]
    while pending:
        file = pending.pop()
        imports, folders = _source_facts(file.read_text(encoding="utf-8"), str(file))
        for folder in folders:
            seen.update(f for f in (file.parent / folder).rglob("*") if f.is_file())
        for name in imports:
            module = _module_file(name)
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)


def source_digest(path):
    """SHA-256 over the source of ``path`` and of the lowrank modules it
    depends on: a step run as a plain program (not a Snakemake ``script:``,
    whose file Snakemake tracks itself) reruns on edits of its own file too."""
    digest = hashlib.sha256()
    digest.update(Path(path).name.encode())
    digest.update(Path(path).read_bytes())
    for file in module_closure(path):
        digest.update(str(file.relative_to(PACKAGE_DIR)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def package_digest():
    """SHA-256 over every lowrank source file, without parsing any: cheaper
    than :func:`source_digest` (2 ms against 60-80 ms here), for a check made by
    every job rather than once per study."""
    digest = hashlib.sha256()
    for file in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(str(file.relative_to(PACKAGE_DIR)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _module_file(name):
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    folder = PACKAGE_DIR.joinpath(*parts[1:])
    for file in (folder / "__init__.py", folder.with_suffix(".py")):
        if file.is_file():
            return file
    return None
