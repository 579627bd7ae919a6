"""The rerun contract of docs/design.md ("What an edit reruns", "What a
setting reruns"): its tables say which jobs an edited file of lowrank/ or a
changed config key reruns, and these tests hold the workflow to them."""

import re
import shutil
from pathlib import Path

import pytest
import yaml
from test_workflow import REPO, TINY_CONFIG, TINY_IMAGE, make_study, snakemake

from lowrank import provenance

pytestmark = pytest.mark.workflow

DESIGN = REPO / "docs" / "design.md"
CONFIG_README = REPO / "config" / "README.md"
REGIMES = ["paper", "exact"]
JOB = re.compile(
    r"fetch|prepare|train \((?:paper|exact)\)|evaluate|rate_distortion|summary"
    r"|bd_rates|paper_tables|report_page"
)
TINY_STEM = Path(TINY_IMAGE).stem
# A study of two random sets, without images (a one-member set's input is
# named by the set, a larger set's members <set>-<i>).
MATRIX_CONFIG = {
    **TINY_CONFIG,
    "matrices": {
        "sym4": {"family": "symmetric", "n": 4, "count": 1, "seed": 1, "ranks": [1]},
        # n is read only once the family is changed to symmetric.
        "rand4": {"family": "uniform", "shape": [4, 4], "n": 4, "count": 2,
                  "seed": 0, "ranks": [1]},
    },
}  # fmt: skip


def contract(marker):
    """The rows of the table under ``<!-- rerun contract: marker -->``."""
    lines = DESIGN.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- rerun contract: {marker} -->") + 3
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def jobs_named(cell):
    return set(JOB.findall(cell))


def planned_jobs(workdir):
    """(job label, input or None) of every job a dry run plans now."""
    output = snakemake(workdir, "--dry-run").stdout
    jobs = set()
    for block in re.split(r"^(?=(?:local)?rule \w+:$)", output, flags=re.M):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        if not rule or rule.group(1) == "default":
            continue
        wildcards = dict(re.findall(r"(\w+)=([^,\n]+)", _line(block, "wildcards:")))
        label = rule.group(1)
        if label == "train":
            label = f"train ({wildcards['regime']})"
        jobs.add((label, wildcards.get("input")))
    return jobs


def _line(block, prefix):
    found = [line for line in block.splitlines() if line.strip().startswith(prefix)]
    return found[0] if found else ""


# --- edits ---------------------------------------------------------------


def edit_rows():
    return [
        (re.findall(r"`([^`]+)`", files), code, reruns)
        for files, code, reruns in contract("edits")
    ]


def test_every_file_of_the_package_has_one_row():
    listed = [name for names, _, _ in edit_rows() for name in names]
    files = sorted(
        str(f.relative_to(provenance.PACKAGE_DIR))
        for f in provenance.PACKAGE_DIR.rglob("*")
        if f.is_file() and "__pycache__" not in f.parts
    )
    assert sorted(listed) == files


def test_an_edit_changes_exactly_the_digests_the_table_names(tmp_path, monkeypatch):
    copy = tmp_path / "lowrank"
    shutil.copytree(
        provenance.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(provenance, "PACKAGE_DIR", copy)
    before = provenance.step_digests(REGIMES)
    labels = {f"train:{regime}": f"train ({regime})" for regime in REGIMES}
    for names, code, _ in edit_rows():
        for name in names:
            file = copy / name
            original = file.read_bytes()
            file.write_bytes(original + b"\n# edited\n")
            after = provenance.step_digests(REGIMES)
            file.write_bytes(original)
            changed = {labels.get(s, s) for s in before if after[s] != before[s]}
            assert changed == jobs_named(code), name


@pytest.mark.parametrize(
    "names, reruns", [(names, reruns) for names, _, reruns in edit_rows()],
    ids=lambda value: value[0] if isinstance(value, list) else None,
)  # fmt: skip
def test_an_edit_reruns_the_jobs_the_table_names(study, names, reruns):
    module = study / "lowrank" / names[0]
    original = module.read_bytes()
    module.write_bytes(original + b"\n# edited\n")
    try:
        planned = {label for label, _ in planned_jobs(study)}
    finally:
        module.write_bytes(original)
    assert planned == reruns_without_urls(names[0], reruns)


def reruns_without_urls(name, reruns):
    """What an edit of ``name`` reruns in a study without images.urls (the
    tiny one): no fetch, and nothing after a fetch alone (docs/design.md)."""
    code = next(code for names, code, _ in edit_rows() if name in names)
    return set() if jobs_named(code) == {"fetch"} else jobs_named(reruns) - {"fetch"}


def test_editing_the_exact_trainer_retrains_no_paper_network_and_no_codec(study):
    """The issue's case, spelled out."""
    module = study / "lowrank" / "training" / "exact_training.py"
    original = module.read_bytes()
    module.write_bytes(original + b"\n# edited\n")
    try:
        planned = planned_jobs(study)
    finally:
        module.write_bytes(original)
    labels = {label for label, _ in planned}
    assert "train (exact)" in labels
    assert not labels & {"train (paper)", "rate_distortion", "prepare", "bd_rates"}


# --- settings ------------------------------------------------------------


def _copied_images(workdir):
    """images.directory: a copy of the study's image folder."""
    shutil.copytree(workdir / "resources" / "images", workdir / "resources" / "copy")
    return "resources/copy"


# key -> (study, value, where it goes if not at the key's own path): the
# images' keys on the tiny study, the rest on two random sets.
CHANGES = {
    "images.directory": ("images", _copied_images, None),
    "images.mode": ("images", "rgb", None),
    "images.layout": ("images", "blocks8", None),
    "images.max_pixels (admitting every image alike)": (
        "images", 20_000, ["images", "max_pixels"],
    ),
    "images.max_pixels (refusing an image it admitted)": (
        "images", 40, ["images", "max_pixels"],
    ),
    "ranks": ("images", [1], None),
    "rank_overrides.<stem>": ("images", [1], ["rank_overrides", TINY_STEM]),
    "overrides.<name>.mode": ("images", "rgb", ["overrides", TINY_STEM, "mode"]),
    "report.codec_qualities": ("images", [50], None),
    "report.aggregate_min_side": ("images", 8, None),
    "report.bd_quality_bpp": ("images", [0.5, 2.0], None),
    "report.bd_quality_intervals.<measure>": (
        "images", [31, 39], ["report", "bd_quality_intervals", "psnr"],
    ),
    "matrices.<name>.family": ("sets", "symmetric", ["matrices", "rand4", "family"]),
    "matrices.<name>.symmetrize": ("sets", "mean", ["matrices", "sym4", "symmetrize"]),
    "matrices.<name>.n": ("sets", 5, ["matrices", "sym4", "n"]),
    "matrices.<name>.shape": ("sets", [4, 5], ["matrices", "rand4", "shape"]),
    "matrices.<name>.count": ("sets", 3, ["matrices", "rand4", "count"]),
    "matrices.<name>.seed": ("sets", 5, ["matrices", "rand4", "seed"]),
    "matrices.<name>.ranks": ("sets", [1, 2], ["matrices", "rand4", "ranks"]),
    "methods": ("sets", ["exact"], None),
    "architecture.design": ("sets", "minimal", None),
    "architecture.before": ("sets", [3], None),
    "architecture.after": ("sets", [3], None),
    "regimes.paper.inputs": ("sets", "gaussian", None),
    "regimes.paper.samples": ("sets", 65, None),
    "regimes.paper.epochs": ("sets", 3, None),
    "regimes.paper.batch_size": ("sets", 16, None),
    "regimes.paper.learning_rate": ("sets", 0.002, None),
    "regimes.paper.use_bias": ("sets", True, None),
    "regimes.paper.initializer": ("sets", "glorot_uniform", None),
    "regimes.paper.dtype": ("sets", "float64", None),
    "regimes.exact.max_steps": ("sets", 300, None),
    "regimes.exact.steps_per_call": ("sets", 5, None),
    "regimes.exact.momentum": ("sets", False, None),
    "regimes.exact.tolerance": ("sets", 1e-11, None),
    "regimes.exact.damping": ("sets", 1e-9, None),
    "regimes.exact.init_gain": ("sets", 0.5, None),
    "regimes.exact.dtype": ("sets", "float32", None),
    "regimes.<regime>.seed": ("sets", 1, ["regimes", "paper", "seed"]),
    "overrides.<name>.regimes.<regime>.*": (
        "sets", 300, ["overrides", "rand4", "regimes", "exact", "max_steps"]
    ),
    "overrides.<name>.architecture.*": (
        "sets", "minimal", ["overrides", "rand4", "architecture", "design"]
    ),
    "training.threads": ("sets", 2, None),
    "training.device": ("sets", "cpu", None),
    "training.backend": ("sets", "jax", None),
    "training.per_gpu": ("sets", 2, None),
    "training.gpu_wait": ("sets", 30, None),
    "training.server_timeout": ("sets", 30, None),
    "training.warm_seconds": ("sets", 5, None),
}  # fmt: skip


def changed_config(base, key, workdir):
    """``base`` with ``key`` changed as CHANGES says."""
    _, value, path = CHANGES[key]
    config = yaml.safe_load(yaml.safe_dump(base))
    section = config
    *parents, name = path or key.split(".")
    for parent in parents:
        section = section.setdefault(parent, {})
    section[name] = value(workdir) if callable(value) else value
    return config


# "of" -> the inputs whose jobs rerun, by study.
SCOPES = {
    ("images", "the images"): {TINY_STEM},
    ("images", "the named image"): {TINY_STEM},
    ("sets", "every input"): {"sym4", "rand4-0", "rand4-1"},
    ("sets", "the named set"): None,  # the set the key's path names
    ("sets", "its new members"): {"rand4-2"},
}
MEMBERS = {"sym4": {"sym4"}, "rand4": {"rand4-0", "rand4-1"}}


def setting_rows():
    return {
        key.replace("`", ""): (reruns, scope)
        for key, reruns, scope in contract("settings")
    }


def readme_keys():
    """Every key of config/README.md's table, ``.x`` shorthands expanded."""
    keys = []
    for line in CONFIG_README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        for name in re.findall(r"`([^`]+)`", line.split("|")[1]):
            if name.startswith("."):
                name = keys[-1].rsplit(".", 1)[0] + name
            keys.append(name)
    return keys


def test_every_documented_key_has_a_row_and_a_change():
    # A key whose rows differ by case names the case after it: "key (case)".
    assert set(setting_rows()) == set(CHANGES)
    assert set(readme_keys()) == {row.partition(" (")[0] for row in setting_rows()}


@pytest.fixture(scope="module")
def sets_study(tmp_path_factory):
    workdir = make_study(tmp_path_factory.mktemp("sets"), MATRIX_CONFIG)
    (workdir / "resources" / "images" / TINY_IMAGE).unlink()
    snakemake(workdir)
    return workdir


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_a_setting_reruns_the_jobs_the_table_names(key, study, sets_study):
    kind = CHANGES[key][0]
    workdir, base = (
        (study, TINY_CONFIG) if kind == "images" else (sets_study, MATRIX_CONFIG)
    )
    config_path = workdir / "config" / "config.yaml"
    config_path.write_text(yaml.safe_dump(changed_config(base, key, workdir)))
    try:
        planned = planned_jobs(workdir)
    finally:
        config_path.write_text(yaml.safe_dump(base))
        shutil.rmtree(workdir / "resources" / "copy", ignore_errors=True)
    reruns, scope = setting_rows()[key]
    assert {label for label, _ in planned} == jobs_named(reruns)
    inputs = {name for _, name in planned if name}
    expected = set() if scope == "-" else SCOPES[(kind, scope)]
    if expected is None:
        expected = MEMBERS[CHANGES[key][2][1]]
    assert inputs == expected
