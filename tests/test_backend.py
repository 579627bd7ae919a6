import subprocess
import sys

import pytest

from lowrank.training.backend import import_without


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """A folder of importable modules, forgotten again after the test."""
    monkeypatch.syspath_prepend(tmp_path)
    names = []

    def write(name, text):
        (tmp_path / f"{name}.py").write_text(text)
        names.append(name)

    yield write
    for name in names:
        sys.modules.pop(name, None)


def test_guarded_optional_imports_are_skipped_and_work_afterwards(modules):
    modules("optional_dep", "VALUE = 1\n")
    modules(
        "guarded_user",
        "try:\n    import optional_dep\nexcept ImportError:\n    optional_dep = None\n",
    )
    user = import_without("guarded_user", ["optional_dep"])
    assert user.optional_dep is None
    import optional_dep

    assert optional_dep.VALUE == 1


def test_a_module_that_needs_a_blocked_import_gets_it(modules):
    modules("optional_dep", "VALUE = 1\n")
    modules("hard_user", "import optional_dep\n")
    assert import_without("hard_user", ["optional_dep"]).optional_dep.VALUE == 1


def test_loaded_modules_are_not_blocked(modules):
    modules("optional_dep", "VALUE = 1\n")
    modules(
        "guarded_user",
        "try:\n    import optional_dep\nexcept ImportError:\n    optional_dep = None\n",
    )
    import optional_dep

    assert import_without("guarded_user", ["optional_dep"]).optional_dep is optional_dep


def test_a_training_process_loads_neither_matplotlib_nor_pandas():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import lowrank.training.train; "
            "print(sorted({'matplotlib', 'pandas'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert loaded.strip() == "[]"
