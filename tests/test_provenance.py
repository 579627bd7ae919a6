import shutil

from lowrank import provenance
from lowrank.provenance import module_closure, package_digest, source_digest


def test_closure_follows_lowrank_imports_only(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("import numpy\nfrom lowrank.evaluation import evaluate\n")
    names = {path.name for path in module_closure(script)}
    assert {"evaluation.py", "metrics.py"} <= names
    assert "training.py" not in names and "images.py" not in names


def test_function_level_imports_count(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("def f():\n    from lowrank import training\n")
    assert "training.py" in {path.name for path in module_closure(script)}


def test_module_named_for_a_lazy_import_counts(tmp_path):
    script = tmp_path / "step.py"
    script.write_text('TRAINER = "lowrank.exact_training:fit_exact"\nNOTE = "a:b"\n')
    names = {path.name for path in module_closure(script)}
    assert {"exact_training.py", "network.py"} <= names
    assert "images.py" not in names and "report.py" not in names


def test_digest_depends_on_the_script_imports(tmp_path):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("import lowrank.svd\n")
    second.write_text("import lowrank.images\n")
    assert source_digest(first) != source_digest(second)


def test_digest_follows_edits_of_imported_modules_only(tmp_path, monkeypatch):
    package = tmp_path / "lowrank"
    shutil.copytree(provenance.PACKAGE_DIR, package)
    monkeypatch.setattr(provenance, "PACKAGE_DIR", package)
    script = tmp_path / "step.py"
    script.write_text("import lowrank.svd\n")
    before = source_digest(script)
    with (package / "images.py").open("a") as images:  # not imported by the step
        images.write("\n# edited\n")
    assert source_digest(script) == before
    with (package / "svd.py").open("a") as svd:
        svd.write("\n# edited\n")
    assert source_digest(script) != before


def test_digest_follows_edits_of_the_script_itself(tmp_path):
    script = tmp_path / "step.py"
    script.write_text("import lowrank.svd\n")
    before = source_digest(script)
    script.write_text("import lowrank.svd\n# edited\n")
    assert source_digest(script) != before


def test_package_digest_follows_every_module(tmp_path, monkeypatch):
    package = tmp_path / "lowrank"
    shutil.copytree(provenance.PACKAGE_DIR, package)
    monkeypatch.setattr(provenance, "PACKAGE_DIR", package)
    before = package_digest()
    assert package_digest() == before
    with (package / "images.py").open("a") as images:
        images.write("\n# edited\n")
    assert package_digest() != before
