import re
import shutil

import pytest

from lowrank import provenance
from lowrank.provenance import module_closure, source_digest


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A copy of the lowrank package that provenance digests instead."""
    copy = tmp_path / "lowrank"
    shutil.copytree(provenance.PACKAGE_DIR, copy)
    monkeypatch.setattr(provenance, "PACKAGE_DIR", copy)
    return copy


def test_closure_follows_lowrank_imports_only(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("import numpy\nfrom lowrank.evaluation.scores import evaluate\n")
    names = _relative(module_closure(script))
    assert {"evaluation/scores.py", "evaluation/metrics.py"} <= names
    assert "training/train.py" not in names and "inputs/images.py" not in names


def test_function_level_imports_count(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("def f():\n    from lowrank.training import train\n")
    assert "training/train.py" in _relative(module_closure(script))


def test_module_named_for_a_lazy_import_counts(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(
        'TRAINER = "lowrank.training.exact_training:fit_exact"\nNOTE = "a:b"\n'
    )
    names = _relative(module_closure(script))
    assert {"training/exact_training.py", "training/network.py"} <= names
    assert "inputs/images.py" not in names and "report/page.py" not in names


def test_digest_depends_on_the_script_imports(tmp_path):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("import lowrank.decomposition.svd\n")
    second.write_text("import lowrank.inputs.images\n")
    assert source_digest(first) != source_digest(second)


def test_digest_follows_edits_of_imported_modules_only(tmp_path, package):
    script = tmp_path / "step.py"
    script.write_text("import lowrank.decomposition.svd\n")
    before = source_digest(script)
    with (package / "inputs" / "images.py").open("a") as images:  # not imported
        images.write("\n# edited\n")
    assert source_digest(script) == before
    with (package / "decomposition" / "svd.py").open("a") as svd:
        svd.write("\n# edited\n")
    assert source_digest(script) != before


def test_digest_follows_edits_of_the_script_itself(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("import lowrank.decomposition.svd\n")
    before = source_digest(script)
    script.write_text("import lowrank.decomposition.svd\n# edited\n")
    assert source_digest(script) != before


def _relative(files):
    return {str(file.relative_to(provenance.PACKAGE_DIR)) for file in files}


def test_a_modules_named_data_files_count_as_its_source(tmp_path, package):
    script = tmp_path / "step.py"
    script.write_text("from lowrank.report.page import write_index\n")
    assert "report/templates/index.html.j2" in _relative(module_closure(script))
    before = source_digest(script)
    with (package / "report" / "templates" / "report.css").open("a") as style:
        style.write("\n/* edited */\n")
    assert source_digest(script) != before


def _changed_steps(package, relative, note="\n# edited\n"):
    before = provenance.step_digests(["paper", "exact"])
    with (package / relative).open("a") as module:
        module.write(note)
    after = provenance.step_digests(["paper", "exact"])
    return {step for step in before if before[step] != after[step]}


def test_a_trainer_reaches_only_its_own_regimes_training_jobs(package):
    assert _changed_steps(package, "training/exact_training.py") == {"train:exact"}
    assert _changed_steps(package, "training/paper_training.py") == {"train:paper"}


def test_metrics_and_codecs_reach_no_training_job(package):
    for module in ("evaluation/metrics.py", "evaluation/codecs.py", "methods.py"):
        assert not any(s.startswith("train") for s in _changed_steps(package, module))


def test_a_package_init_counts_for_its_modules(package):
    # Every step that imports a module of lowrank.report.
    assert _changed_steps(package, "report/__init__.py") == {
        "evaluate", "rate_distortion", "bd_rates", "paper_tables", "report_page",
    }  # fmt: skip


def test_a_named_data_file_counts(package):
    changed = _changed_steps(package, "data/viridis.csv", note="")
    assert changed == set()  # an empty append changes no byte
    changed = _changed_steps(package, "data/viridis.csv", note="0,0,0\n")
    assert "evaluate" in changed and "report_page" not in changed


def test_a_release_number_reruns_nothing_but_an_edit_beside_it_reruns_all(package):
    """A release writes its number into lowrank/__init__.py, which every
    step imports: the number is provenance (every record carries it), not
    code, so a study carried over to a new release reruns nothing."""
    init = package / "__init__.py"
    text = init.read_text()
    assert re.search(r'^__version__ = "[^"]+"$', text, flags=re.M)
    before = provenance.step_digests(["paper", "exact"])
    init.write_text(re.sub(r'^__version__ = "[^"]+"$', '__version__ = "9.9.9"',
                           text, flags=re.M))  # fmt: skip
    assert provenance.step_digests(["paper", "exact"]) == before
    init.write_text(text + "\n# edited\n")
    after = provenance.step_digests(["paper", "exact"])
    assert all(after[step] != before[step] for step in before)
