"""The jobs' conda environments (lowrank.conda_envs); tests/test_workflow.py
runs a study in them."""

import os
import re
import shutil
import tomllib
from pathlib import Path

import yaml

from lowrank.conda_envs import (
    LOCK_PYTHON,
    dependency_digest,
    environment_builds,
    environment_paths,
    environment_text,
    is_package_tree,
    write_environments,
)

REPO = Path(__file__).resolve().parents[1]


def tree_copy(folder):
    """A copy of what a local module's source tree holds for a package build
    (pip builds a local folder in place)."""
    for name in ("workflow", "lowrank"):
        shutil.copytree(
            REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in (
        "pyproject.toml",
        "constraints.txt",
        "constraints-cuda.txt",
        "README.md",
    ):
        shutil.copy(REPO / name, folder / name)
    return folder


def test_an_environment_is_conda_python_and_the_locked_package():
    spec = yaml.safe_load(environment_text(REPO, ("training",), "constraints.txt"))
    python, pip, section = spec["dependencies"]
    assert (python, pip) == (f"python={LOCK_PYTHON}", "pip")
    assert section["pip"] == [
        f"--constraint {REPO / 'constraints.txt'}",
        f"--editable '{REPO}[training]'",
    ]
    assert "conda-forge" in spec["channels"]


def test_the_lock_is_made_on_the_environments_python():
    header = (REPO / "constraints.txt").read_text().split("\n\n")[0]
    assert re.search(rf"Made on Python {re.escape(LOCK_PYTHON)}\b", header)


def test_the_environments_hold_no_workflow_or_test_tools():
    # Snakemake, its plugins and the test tools are extras no environment asks for.
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for cuda in (False, True):
        wanted = {e for built, _ in environment_builds(cuda).values() for e in built}
        assert wanted == ({"training", "cuda"} if cuda else {"training"})
    assert not any("snakemake" in text for text in extras["training"] + extras["cuda"])


def test_the_cuda_build_changes_the_training_environment_only():
    cpu, cuda = environment_builds(False), environment_builds(True)
    assert cuda["analysis"] == cpu["analysis"] == ((), "constraints.txt")
    assert cuda["training"] == (("training", "cuda"), "constraints-cuda.txt")
    text = environment_text(REPO, *cuda["training"])
    assert f"--editable '{REPO}[training,cuda]'" in text
    assert f"--constraint {REPO / 'constraints-cuda.txt'}" in text


def test_a_path_with_spaces_reaches_pip_quoted(tmp_path):
    tree = tmp_path / "my tree: #1"
    tree = tree_copy(tree)
    text = environment_text(tree, (), "constraints.txt")
    pip = yaml.safe_load(text)["dependencies"][2]["pip"]
    assert pip == [
        f"--constraint '{tree / 'constraints.txt'}'",
        f"--editable '{tree}'",
    ]


def test_the_digest_follows_the_dependencies_not_the_code(tmp_path):
    # Snakemake reruns every job whose environment changed: an edit of the
    # (editable) package must not change it, new dependencies must.
    tree = tree_copy(tmp_path / "tree")
    before = dependency_digest(tree, "constraints.txt")
    (tree / "lowrank" / "study.py").write_text("# edited\n", encoding="utf-8")
    (tree / "constraints-cuda.txt").write_text("# another lock\n")
    assert dependency_digest(tree, "constraints.txt") == before
    lock = tree / "constraints.txt"
    original = lock.read_bytes()
    lock.write_bytes(original + b"\n")
    assert dependency_digest(tree, "constraints.txt") != before
    lock.write_bytes(original)
    assert dependency_digest(tree, "constraints.txt") == before


def test_the_digest_follows_the_requirements_not_the_release_or_tools(tmp_path):
    tree = tree_copy(tmp_path / "tree")
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text()
    before = dependency_digest(tree, "constraints.txt")
    # A new release, a linter's setting: nothing to install.
    pyproject.write_text(
        re.sub(r'^version = ".*"$', 'version = "9.9.9"', text, flags=re.M)
        + "\n[tool.other]\nsetting = 1\n"
    )
    assert dependency_digest(tree, "constraints.txt") == before
    project = tomllib.loads(text)["project"]
    a_dependency = project["dependencies"][0]
    an_extra = project["optional-dependencies"]["training"][0]
    for old, new in [
        (f'"{a_dependency}"', f'"{a_dependency},<99"'),
        (f'"{an_extra}"', f'"{an_extra},<99"'),
        ('requires-python = ">=', 'requires-python = "<99,>='),
    ]:
        assert old in text
        pyproject.write_text(text.replace(old, new, 1))
        assert dependency_digest(tree, "constraints.txt") != before, new


def test_files_are_rewritten_only_when_their_text_changes(tmp_path):
    tree = tree_copy(tmp_path / "tree")
    folder = tmp_path / "envs"
    write_environments(tree, folder, cuda=False)
    paths = environment_paths(folder)
    assert sorted(Path(path).name for path in paths.values()) == [
        "analysis.yaml",
        "training.yaml",
    ]
    stamps = {path: os.stat(path).st_mtime_ns for path in paths.values()}
    for path in paths.values():
        os.utime(path, ns=(1, 1))
    write_environments(tree, folder, cuda=False)
    assert all(os.stat(path).st_mtime_ns == 1 for path in stamps)
    write_environments(tree, folder, cuda=True)
    assert [os.stat(path).st_mtime_ns == 1 for path in stamps] == [True, False]
    with (tree / "constraints.txt").open("a") as lock:
        lock.write("# edited\n")
    write_environments(tree, folder, cuda=True)
    assert os.stat(paths["analysis"]).st_mtime_ns != 1
    assert sorted(os.listdir(folder)) == ["analysis.yaml", "training.yaml"]


def test_a_tree_without_the_lock_installs_nothing(tmp_path):
    tree = tree_copy(tmp_path / "tree")
    assert is_package_tree(tree) and is_package_tree(str(tree))
    (tree / "constraints.txt").unlink()
    assert not is_package_tree(tree) and not is_package_tree(None)


def test_a_module_from_a_git_host_installs_its_own_release(tmp_path):
    from snakemake.sourcecache import GithubFile, GitlabFile, LocalSourceFile

    from lowrank.conda_envs import hosted_release

    rules = GithubFile(repo="someone/lowrank", path="workflow/rules", tag="v0.1.0")
    package, locks = hosted_release(rules)
    assert package == "git+https://github.com/someone/lowrank@v0.1.0"
    assert locks["constraints.txt"] == (
        "https://raw.githubusercontent.com/someone/lowrank/v0.1.0/constraints.txt"
    )
    gitlab = GitlabFile(repo="group/lowrank", path="workflow/rules", tag="v0.1.0")
    assert hosted_release(gitlab)[0] == "git+https://gitlab.com/group/lowrank@v0.1.0"
    assert hosted_release(LocalSourceFile(str(tmp_path))) is None

    folder = tmp_path / "envs"
    write_environments(None, folder, cuda=True, release=(package, locks))
    for path in environment_paths(folder).values():
        text = Path(path).read_text()
        environment = yaml.safe_load(text)
        pip = environment["dependencies"][-1]["pip"]
        # Nothing of this machine: every location is the release's URL.
        assert str(tmp_path) not in text and str(REPO) not in text
        assert not re.search(r"(?<![\w:/.])/\w", "\n".join(pip)), pip
        assert pip[-1].endswith("@ git+https://github.com/someone/lowrank@v0.1.0")
    training = yaml.safe_load(Path(environment_paths(folder)["training"]).read_text())
    pip = training["dependencies"][-1]["pip"]
    assert pip[0].endswith("/v0.1.0/constraints-cuda.txt")
    assert pip[1].startswith("lowrank[training,cuda] @ ")
