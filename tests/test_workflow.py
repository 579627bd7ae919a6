"""The real workflow on a tiny study in a temporary copy of the repository."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from chromium import headless_chromium
from PIL import Image

from lowrank.evaluation.codecs import ANCHORS

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY_CONFIG = {
    "images": {"directory": "resources/images", "mode": "gray", "max_pixels": 10_000},
    "ranks": [1, 2],
    "matrices": {"diag6": {"family": "diag", "n": 6, "ranks": [2]}},
    "methods": ["paper", "exact"],
    "architecture": {"design": "paper"},
    "regimes": {
        "paper": {"samples": 64, "epochs": 2, "batch_size": 32},
        "exact": {"max_steps": 200},
    },
    "training": {"threads": 1},
}

# A stem with a space, dots and a non-ASCII letter.
TINY_IMAGE = "tiny one.v2.é.png"

# What reruns after any record of the tiny study changes: each input's
# evaluation (with its figures) and the aggregates.
EVALUATIONS_AND_AGGREGATES = {
    "evaluate": 2,
    "summary": 1,
    "paper_tables": 1,
    "report_page": 1,
    "default": 1,
}

pytestmark = pytest.mark.workflow

# What a viewer shows: its rank, nn-exact's picture and caption, the marker's
# position on the error curve and the flip view's picture.
VIEWER_STATE = """
const viewer = document.querySelector(arguments[0]);
const exact = viewer.querySelector('figure[data-method="nn-exact"]');
return {
  rank: viewer.querySelector("output").textContent,
  image: exact.querySelector("img").src,
  caption: exact.querySelector("figcaption").textContent,
  marker: viewer.querySelector(".marker").getAttribute("x1"),
  flip: viewer.querySelector(".flip img").src,
};
"""


def write_image(path, seed, shape=(8, 6)):
    pixels = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def snakemake(workdir, *args, check=True, env=None):
    result = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", "--resources", "gpu=1", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {args} failed:\n{result.stderr[-4000:]}")
    return result


def planned_jobs(workdir):
    """Rule -> job count of what a dry run would execute now."""
    return job_counts(snakemake(workdir, "--dry-run").stdout)


def job_counts(output):
    """Rule -> job count of the table Snakemake prints for a plan."""
    return {
        rule: int(count)
        for rule, count in re.findall(r"^(\w+)\s+(\d+)$", output, flags=re.M)
        if rule != "total"
    }


def make_study(workdir, config):
    """A copy of the workflow in ``workdir`` with ``config`` and one tiny image."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "lowrank", "profiles", "environment.yml"):
        source = REPO / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, workdir / name)
    (workdir / "config").mkdir()
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    images = workdir / "resources" / "images"
    images.mkdir(parents=True)
    write_image(images / TINY_IMAGE, seed=0)
    (images / ".DS_Store").write_bytes(b"\0\1")
    return workdir


def test_an_empty_mapping_in_a_configfile_replaces_the_default(tmp_path):
    workdir = make_study(tmp_path / "photos", TINY_CONFIG)
    (workdir / "photos.yaml").write_text("matrices: {}\nmethods: []\n")
    default = job_counts(snakemake(workdir, "--dry-run").stdout)
    planned = job_counts(
        snakemake(workdir, "--dry-run", "--configfile", "photos.yaml").stdout
    )
    assert default["prepare"] == 2  # the image and the default's matrix
    assert planned["prepare"] == 1 and "train" not in planned


def test_full_run_writes_the_summary(study):
    table = pd.read_csv(study / "results" / "summary.csv")
    hdf = pd.read_hdf(study / "results" / "summary.h5", "summary")
    assert len(table) == len(hdf)
    compared = table[table["method"].isin(["svd", "nn-paper", "nn-exact"])]
    assert len(compared) == 3 * 3  # (image r1, r2, diag6 r2) x 3 methods
    codecs = set(table["method"]) - set(compared["method"])
    # Every SVD stream of the 8 x 6 image, header included, is larger than
    # its 48 raw bytes: no SVD point is swept (lowrank.evaluation.codecs).
    assert codecs == {*ANCHORS, "klt"}
    assert table.loc[table["method"].isin(["jpeg", "webp", "avif"]), "bpp"].gt(0).all()
    exact = table[table["method"] == "nn-exact"]
    assert exact["delta_rel_err_2"].abs().max() < 1e-9
    image = table[table["input"] == "tiny one.v2.é"]
    assert (
        image["psnr"].notna().all()
        and table[table["kind"] == "diag"]["ssim"].isna().all()
    )


def test_a_colour_image_read_as_ycbcr_is_studied_end_to_end(tmp_path):
    images = {**TINY_CONFIG["images"], "mode": "ycbcr"}
    config = {**TINY_CONFIG, "images": images, "matrices": {}, "methods": ["exact"]}
    workdir = make_study(tmp_path / "ycbcr", config)
    pixels = np.random.default_rng(1).integers(0, 256, (8, 6, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(workdir / "resources" / "images" / TINY_IMAGE)
    snakemake(workdir)
    table = pd.read_csv(workdir / "results" / "summary.csv")
    assert set(table["mode"]) == {"ycbcr"} and set(table["channels"]) == {3}
    exact = table[table["method"] == "nn-exact"]
    assert len(exact) == 2 and exact["delta_rel_err_2"].abs().max() < 1e-9
    allocated = table[table["method"] == "svd-ycc"]
    assert len(allocated) and allocated["factor_bits"].str.count("/").eq(2).all()
    # The viewer shows the picture in RGB, as it was drawn.
    views = workdir / "results" / "figures" / Path(TINY_IMAGE).stem / "views"
    np.testing.assert_array_equal(
        np.asarray(Image.open(views / "original.png")), pixels
    )
    assert (workdir / "results" / "report" / "index.html").is_file()


def test_cpu_trainings_run_as_many_at_once_as_the_processors_allow(study):
    # --cores 2 and one thread a training: two at once, or one on one processor.
    processors = len(os.sched_getaffinity(0))
    expected = min(2, processors) // TINY_CONFIG["training"]["threads"]
    first_run = sorted((study / ".snakemake" / "log").glob("*.snakemake.log"))[0]
    assert f'cpu_training=Resource("cpu_training", {expected})' in first_run.read_text()


def test_training_jobs_find_the_prestarted_servers(study):
    """The servers the study starts serve its CPU trainings: same key (no
    GPU visible to either), so no training job starts one of its own."""
    logs = list((study / "results" / "logs" / "train").rglob("*.log"))
    assert len(logs) == 4
    assert all("training server: warm" in log.read_text() for log in logs)


def test_rerun_does_nothing(study):
    assert planned_jobs(study) == {}


def test_changed_training_setting_reruns_training_and_evaluation_only(study):
    config_path = study / "config" / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["regimes"]["exact"]["max_steps"] = 300
    config_path.write_text(yaml.safe_dump(config))
    try:
        jobs = planned_jobs(study)
    finally:
        config_path.write_text(yaml.safe_dump(TINY_CONFIG))
    # One training job per (input, regime): the exact regime of both inputs.
    assert jobs == {"train": 2, **EVALUATIONS_AND_AGGREGATES}


def test_changed_rank_of_one_image_retrains_that_image_only(study):
    config_path = study / "config" / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["rank_overrides"] = {"tiny one.v2.é": [1]}
    config_path.write_text(yaml.safe_dump(config))
    try:
        output = snakemake(study, "--dry-run").stdout
    finally:
        config_path.write_text(yaml.safe_dump(TINY_CONFIG))
    trained = set(re.findall(r"wildcards: input=([^,]+), regime=(\w+)", output))
    assert trained == {("tiny one.v2.é", "paper"), ("tiny one.v2.é", "exact")}
    assert "rate_distortion" in output  # its ranks set the codec's SVD points
    assert "input=diag6" not in output


def test_edited_module_reruns_only_its_dependants(study):
    module = study / "lowrank" / "evaluation" / "scores.py"
    original = module.read_text()
    module.write_text(original + "\n# edited\n")
    try:
        jobs = planned_jobs(study)
    finally:
        module.write_text(original)
    assert jobs == EVALUATIONS_AND_AGGREGATES


def test_new_image_runs_only_its_jobs_and_aggregates(study):
    new_image = study / "resources" / "images" / "second.png"
    write_image(new_image, seed=1)
    try:
        jobs = planned_jobs(study)
    finally:
        new_image.unlink()
    assert jobs == {
        "prepare": 1,
        "train": 2,
        "evaluate": 1,
        "rate_distortion": 1,
        "bd_rates": 1,
        "summary": 1,
        "paper_tables": 1,
        "report_page": 1,
        "default": 1,
    }


def test_lint_and_format_are_clean():
    lint = subprocess.run(
        [*SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    snakefmt = shutil.which("snakefmt") or str(Path(sys.executable).parent / "snakefmt")
    check = subprocess.run(
        [snakefmt, "--check", "Snakefile", "workflow"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("ranks", [0], "ranks"),
        ("ranks", [-3], "ranks"),
        ("ranks", [1.5], "ranks"),
        ("rnaks", [1], "rnaks"),
        ("regimes", {"exact": {"max_steps": "ten"}}, "max_steps"),
        ("images", {"mode": "cmyk"}, "mode"),
    ],
)
def test_bad_config_stops_with_the_key(tmp_path, key, value, message):
    config = {**TINY_CONFIG, key: value}
    result = snakemake(make_study(tmp_path, config), "--dry-run", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output and "Traceback" not in output


def test_empty_study_names_both_keys(tmp_path):
    workdir = make_study(tmp_path, {**TINY_CONFIG, "matrices": {}})
    (workdir / "resources" / "images" / TINY_IMAGE).unlink()
    result = snakemake(workdir, "--dry-run", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "nothing to study" in output and "images.directory" in output


def test_report_page_lists_every_input_and_figure(study):
    page = (study / "results" / "report" / "index.html").read_text(encoding="utf-8")
    for name in ("tiny one.v2.é", "diag6", "Rate and distortion", "paper tables"):
        assert name in page
    figures = re.findall(r'<img [^>]*src="([^"]+)"', page)
    # Per input: a thumbnail, errors, a viewer (original, 3 methods, flip,
    # training) and each rank's printable panels and curves; the image's
    # rate-distortion; the paper figure. (The set's mean curves need an image
    # of 176 pixels a side: none here.)
    assert len(figures) == 2 * (1 + 1 + 6) + 2 * 3 + 1 + 1
    for link in figures:
        target = (study / "results" / "report" / urllib.parse.unquote(link)).resolve()
        assert target.is_file(), link


def test_snakemake_report_builds(study):
    # A zip: Snakemake embeds a folder (the study's page) only in one.
    snakemake(study, "--report", "report.zip")
    with zipfile.ZipFile(study / "report.zip") as archive:
        names = archive.namelist()
        (main,) = [name for name in names if name.endswith("/report.html")]
        report = archive.read(main).decode("utf-8")
    # Every category of figures the rules mark for the report, with the
    # tiny study's figures in them.
    for category in (
        "Error against rank", "Approximations", "Training curves",
        "Rate and distortion", "Paper tables", "Tables", "Study page",
    ):  # fmt: skip
        assert category in report, category
    assert "rate_distortion.svg" in report and "paper_gap.png" in report
    for table in (
        "summary.csv", "bd_rates_per_image.csv", "bd_rates_aggregate.csv",
        "paper_comparison.csv",
    ):  # fmt: skip
        assert table in report, table
    # The study's page with the figures it links, in one folder of the archive.
    (page,) = [name for name in names if name.endswith("/index.html")]
    folder = page.removesuffix("index.html")
    assert f"{folder}figures/paper_gap.png" in names
    assert f"{folder}figures/diag6/errors.svg" in names


@pytest.mark.browser
def test_report_renders_in_headless_chromium(study):
    with headless_chromium(1280, 800) as browser:
        page = study / "results" / "report" / "index.html"
        browser.get(page.as_uri())
        images = browser.execute_script(
            "return Array.from(document.images)"
            ".map(i => [i.src, i.complete && i.naturalWidth > 0])"
        )
        findings = browser.execute_script(
            "const box = document.getElementById('findings')"
            ".getBoundingClientRect(); return [box.top, box.bottom, innerHeight]"
        )
        viewer = f'.viewer[aria-label="viewer of {TINY_IMAGE.removesuffix(".png")}"]'
        before = browser.execute_script(VIEWER_STATE, viewer)
        browser.execute_script(
            "const s = document.querySelector(arguments[0] + ' input');"
            "s.value = 0; s.dispatchEvent(new Event('input'));",
            viewer,
        )
        after = browser.execute_script(VIEWER_STATE, viewer)
        browser.execute_script(
            "document.querySelector(arguments[0] + ' .flip img').click()", viewer
        )
        flipped = browser.execute_script(VIEWER_STATE, viewer)
        requests = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        # The first screen, kept beside the study for a reader of the test run.
        browser.save_screenshot(str(study / "report-first-screen.png"))
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    top, bottom, height = findings
    assert top < 200 and bottom <= height, "the findings must fill the first screen"
    assert (study / "report-first-screen.png").stat().st_size > 0
    assert len(images) == 24
    assert all(loaded for _, loaded in images), [src for src, ok in images if not ok]
    assert errors == []
    assert all(url.startswith("file:") for url in requests), requests
    # The slider moves every picture, caption and the curve's marker to rank 1.
    evaluation = pd.read_csv(study / "results" / "evaluations" / "tiny one.v2.é.csv")
    exact = evaluation.set_index(["method", "rank"]).loc[("nn-exact", 1)]
    assert before["rank"] == "2" and after["rank"] == "1"
    assert after["image"].endswith("nn-exact-rank1.png")
    assert after["caption"].startswith(
        f"nn-exact, rank 1: 2-norm {exact['rel_err_2']:.4g}, "
    )
    assert after["marker"] != before["marker"]
    assert before["flip"].endswith("original.png")
    assert flipped["flip"].endswith("nn-exact-rank1.png")


def test_cpu_training_limit_follows_set_threads(study):
    # Last in this module: it reruns the summary, which later checks of an
    # unchanged study would see as new.
    threads = ["--set-threads", "train=2"]
    snakemake(study, *threads, "--forcerun", "summary", "results/summary.csv")
    processors = len(os.sched_getaffinity(0))
    expected = max(1, min(2, processors) // 2)
    newest = sorted((study / ".snakemake" / "log").glob("*.snakemake.log"))[-1]
    assert f'cpu_training=Resource("cpu_training", {expected})' in newest.read_text()


def test_planning_large_member_sets_stays_small(tmp_path):
    # Twenty 2000 x 2000 members are 640 MB of float64 if planning built them.
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["matrices"] = {
        "big": {"family": "uniform", "count": 20, "shape": [2000, 2000], "seed": 0,
                "ranks": [1]},
    }  # fmt: skip
    workdir = make_study(tmp_path, config)
    # A fresh parent, so that the peak is this dry run's alone.
    measure = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)"
    )
    command = [*SNAKEMAKE, "--cores", "1", "--dry-run"]
    finished = subprocess.run(
        [sys.executable, "-c", measure, *command],
        cwd=workdir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert int(finished.stdout) < 450  # MB


def test_set_resources_adds_to_the_rules_own(tmp_path):
    workdir = make_study(tmp_path, TINY_CONFIG)
    planned = snakemake(
        workdir, "--dry-run", "--set-resources", "train:mem_mb=9000"
    ).stdout
    trainings = [block for block in planned.split("\n\n") if "rule train:" in block]
    assert trainings and all(
        "mem_mb=9000" in block and ", gpu=" in block for block in trainings
    )


def test_a_config_without_regimes_plans_with_their_defaults(tmp_path):
    # A deployed workflow's user writes only what differs from the defaults.
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config.pop("regimes", None)
    workdir = make_study(tmp_path, config)
    assert planned_jobs(workdir)["train"] > 0


@pytest.mark.parametrize(
    ("source", "prefix", "use"),
    [
        ("path", None, "use rule * from lowrank"),
        ("path", "study1", "use rule * from lowrank as lowrank_*"),
        ("git", None, "use rule * from lowrank"),
    ],
    ids=["as-deployed", "prefixed-and-renamed", "from-local-git"],
)
def test_a_module_deployment_reproduces_the_study(study, tmp_path, source, prefix, use):
    """The workflow used as snakedeploy deploys it: a project folder of the
    user's own, its Snakefile a ``module`` of this workflow (from a local
    path, or from a tag of a local Git repository; the Python running
    Snakemake has lowrank installed), its own config and images (a folder
    relative to the project, never under the module's prefix). Same numbers
    as the study run from its clone, the report included, also where the
    module's outputs go under a prefix; a second run plans nothing."""
    from test_slurm import VOLATILE

    from lowrank.evaluation.summary import read_table

    snakefile = study / "workflow" / "Snakefile"
    if source == "git":
        snakefile = tagged_repository(tmp_path / "upstream", "v1")
    project = deployed_project(
        tmp_path / "project", snakefile, TINY_CONFIG, prefix=prefix, use=use
    )
    # One core, one training slot: the server the study prestarts for it
    # serves every training (with two, a training can start before the
    # second server listens, and start its own). A runtime folder of its own:
    # no server of another study (the fixture's, same code) can serve it.
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "LOWRANK_RUNTIME_DIR": str(runtime)}
    result = snakemake(project, "--cores", "1", env=env)
    assert "not present in the Snakefile" not in result.stderr
    outputs = project / prefix if prefix else project
    assert (outputs / "results" / "report" / "index.html").is_file()
    if prefix:
        assert not (project / "results").exists()
    # The study prestarted the training server, its train rule renamed or not.
    logs = list((outputs / "results" / "logs" / "train").rglob("*.log"))
    assert logs and all("training server: warm" in log.read_text() for log in logs)
    deployed, cloned = (
        read_table(folder / "results" / "summary.csv").drop(columns=VOLATILE)
        for folder in (outputs, study)
    )
    pd.testing.assert_frame_equal(deployed, cloned)
    # Snakemake's LocalGitFile.join fails the next plan of a `script:` rule
    # from a Git module (bench/localgitfile_join_upstream.md): none has one.
    assert "Nothing to be done" in snakemake(project, "--dry-run").stdout


def tagged_repository(folder, tag):
    """A Git repository of the workflow at ``folder``, ``tag`` on its one
    commit; the ``gitfile(...)`` that reads its Snakefile at that tag."""
    folder.mkdir()
    for name in ("Snakefile", "pyproject.toml", "README.md", "constraints.txt",
                 "constraints-cuda.txt"):  # fmt: skip
        shutil.copy(REPO / name, folder / name)
    for name in ("workflow", "lowrank", "profiles"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / name, folder / name, ignore=ignore)
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"], ["tag", tag]):
        subprocess.run([*git, *step], check=True, capture_output=True)
    return f"gitfile({str(folder)!r}, path='workflow/Snakefile', tag={tag!r})"


def deployed_project(
    folder, workflow_snakefile, config, prefix=None, use="use rule * from lowrank"
):
    """A project folder as snakedeploy writes one, with the README's onstart
    line: a ``module`` of the workflow at ``workflow_snakefile`` (a path, or
    the ``gitfile(...)`` expression of :func:`tagged_repository`; its outputs
    under ``prefix``, if given; its rules taken by ``use``), its own config
    and the tiny image."""
    if isinstance(workflow_snakefile, Path):
        workflow_snakefile = repr(str(workflow_snakefile))
    (folder / "workflow").mkdir(parents=True)
    (folder / "workflow" / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        "module lowrank:\n"
        f"    snakefile:\n        {workflow_snakefile}\n"
        "    config:\n        config\n"
        + (f"    prefix:\n        {prefix!r}\n" if prefix else "")
        + f"\n\n{use}\n"
        # Snakemake runs a module's onstart only where the project asks for it.
        + "\n\nonstart:\n    lowrank.onstart()\n"
    )
    (folder / "config").mkdir()
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "resources" / "images").mkdir(parents=True)
    write_image(folder / "resources" / "images" / TINY_IMAGE, seed=0)
    return folder


BARE_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


@pytest.fixture(scope="module")
def bare_snakemake(tmp_path_factory):
    """A Python with Snakemake alone (the lock's version): its bin folder."""
    bare = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", bare], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", bare / "bin" / "python", "install",
         "--quiet", "-c", REPO / "constraints.txt", "snakemake"],
        check=True, timeout=600,
    )  # fmt: skip
    return bare / "bin"


def test_snakemakes_own_environment_plans_a_deployed_study(bare_snakemake, tmp_path):
    """Planning needs only the standard library: a Python with Snakemake
    and nothing else (no lowrank, NumPy, Pillow, h5py or pandas) plans a
    study deployed as a module of this checkout."""
    for missing in ("lowrank", "numpy", "PIL", "h5py", "pandas"):
        found = subprocess.run(
            [bare_snakemake / "python", "-c", f"import {missing}"],
            cwd=tmp_path, env=BARE_ENV, capture_output=True,
        )  # fmt: skip
        assert found.returncode != 0, missing
    project = deployed_project(
        tmp_path / "project", REPO / "workflow" / "Snakefile", TINY_CONFIG
    )
    planned = subprocess.run(
        [bare_snakemake / "snakemake", "--cores", "2", "--dry-run"],
        cwd=project, env=BARE_ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr[-3000:]
    jobs = job_counts(planned.stdout)
    assert (jobs["prepare"], jobs["train"], jobs["report_page"]) == (2, 4, 1)


def source_tree_study(folder):
    """The tiny study in a copy of the workflow with the package's metadata
    and locks beside it, as in a clone."""
    study = make_study(folder, TINY_CONFIG)
    for name in ("pyproject.toml", "constraints.txt", "constraints-cuda.txt"):
        shutil.copy(REPO / name, study / name)
    return study


def test_a_git_module_plans_with_snakemake_alone_and_names_its_software(
    bare_snakemake, tmp_path
):
    """A module from a tag of a Git repository has no checkout: the package
    is copied out of Snakemake's source cache, so that Snakemake's own Python
    plans the study, and a run stops before its first job with the line that
    installs the package from that copy."""
    snakefile = tagged_repository(tmp_path / "upstream", "v1")
    project = deployed_project(tmp_path / "project", snakefile, TINY_CONFIG)
    command = [bare_snakemake / "snakemake", "--cores", "1"]
    planned = subprocess.run(
        [*command, "--dry-run"],
        cwd=project, env=BARE_ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr[-3000:]
    assert job_counts(planned.stdout)["train"] == 4
    copies = list((project / ".snakemake" / "lowrank" / "package").iterdir())
    assert len(copies) == 1 and (copies[0] / "lowrank" / "study.py").is_file()
    run = subprocess.run(
        command, cwd=project, env=BARE_ENV, capture_output=True, text=True, timeout=300
    )  # fmt: skip
    assert "lacks what they import" in run.stderr, run.stderr[-3000:]
    assert f"-c {copies[0] / 'constraints.txt'}" in run.stderr
    assert not (project / "results").exists()  # no job ran


def test_a_snakemake_only_python_stops_at_the_start(bare_snakemake, tmp_path):
    """Run (not planned) in a Python with Snakemake alone, a study stops
    before its first job, naming what its jobs lack and the install line."""
    from lowrank.software_check import install_line

    study = source_tree_study(tmp_path / "study")
    result = subprocess.run(
        [bare_snakemake / "snakemake", "--cores", "1"],
        cwd=study, env=BARE_ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "lacks what they import" in result.stderr, result.stderr[-3000:]
    assert "numpy>=1.26 (not installed)" in result.stderr
    assert install_line(study) in result.stderr
    assert not (study / "results").exists()  # no job ran


@pytest.fixture
def image_server(tmp_path):
    """An HTTP server on loopback serving a folder (its URL, the folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", folder
    server.shutdown()
    server.server_close()


def test_images_from_an_http_server_give_the_same_numbers(
    study, image_server, tmp_path
):
    """``images.urls``: Snakemake's HTTP storage plugin fetches each image for
    its prepare job; the study equals the one that read the same file from
    its folder, and the records name the URL."""
    from test_slurm import VOLATILE

    from lowrank.evaluation.summary import read_table

    url, served = image_server
    shutil.copy(study / "resources" / "images" / TINY_IMAGE, served / TINY_IMAGE)
    config = {
        **TINY_CONFIG,
        "images": {**TINY_CONFIG["images"], "directory": "resources/none",
                   "urls": [f"{url}/{urllib.parse.quote(TINY_IMAGE)}"]},
    }  # fmt: skip
    workdir = make_study(tmp_path / "remote", config)
    (workdir / "resources" / "images" / TINY_IMAGE).unlink()
    snakemake(workdir)
    remote, local = (
        read_table(folder / "results" / "summary.csv").drop(columns=VOLATILE)
        for folder in (workdir, study)
    )
    pd.testing.assert_frame_equal(remote, local)
    assert snakemake(workdir, "--dry-run").stdout.count("rule ") == 0
    with h5py.File(workdir / "results" / "inputs" / f"{Path(TINY_IMAGE).stem}.h5") as f:
        assert f.attrs["source"] == config["images"]["urls"][0]
    # A URL added: that image's jobs and the aggregates, no other.
    from test_reruns import planned_jobs

    write_image(served / "second.png", seed=1)
    config["images"]["urls"].append(f"{url}/second.png")
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    assert {name for _, name in planned_jobs(workdir)} == {"second", None}


def test_the_catalog_test_study_runs(tmp_path):
    """``.test``, the catalog's test study: the workflow of this clone run in
    a copy of it with ``--directory``."""
    shutil.copytree(REPO / ".test", tmp_path / ".test")
    snakemake(REPO, "--directory", str(tmp_path / ".test"))
    table = pd.read_csv(tmp_path / ".test" / "results" / "summary.csv")
    assert {"gradient", "noise", "diag6"} <= set(table["input"])
    assert set(table["status"]) == {"ok"}


def test_sdm_apptainer_runs_the_jobs_here_with_the_same_numbers(study, tmp_path):
    # No rule names a container, so Snakemake runs every job on this machine:
    # in this Python, not in whatever `python` the PATH finds.
    from test_slurm import VOLATILE

    from lowrank.evaluation.summary import read_table

    workdir = make_study(tmp_path / "apptainer", TINY_CONFIG)
    snakemake(workdir, "--sdm", "apptainer")
    ours, theirs = (
        read_table(folder / "results" / "summary.csv").drop(columns=VOLATILE)
        for folder in (workdir, study)
    )
    pd.testing.assert_frame_equal(ours, theirs)


def test_sdm_conda_runs_a_deployed_study_in_its_own_environments(
    study, bare_snakemake, tmp_path
):
    """--sdm conda from a Python with Snakemake alone, in a project of its
    own with two images: each job runs in an environment that installs the
    module's lowrank package (the training one with TensorFlow, the other
    without), and the study has the clone's numbers. Conda itself is a
    stand-in (tests/conda_stand_in.py: no conda channel is reachable here)
    that builds the environment files' pip sections as conda would, in a
    venv of this Python."""
    import conda_stand_in
    from test_conda_envs import tree_copy
    from test_slurm import VOLATILE

    from lowrank.evaluation.summary import read_table

    tree = tree_copy(tmp_path / "lowrank")
    project = deployed_project(
        tmp_path / "project", tree / "workflow" / "Snakefile", TINY_CONFIG
    )
    write_image(project / "resources" / "images" / "second.png", seed=1)
    conda_bin = conda_stand_in.install(tmp_path / "conda")
    path = os.pathsep.join(map(str, [conda_bin, bare_snakemake, os.environ["PATH"]]))

    def snakemake_conda(*args):
        result = subprocess.run(
            [bare_snakemake / "snakemake", "--cores", "2", "--sdm", "conda", *args],
            cwd=project, env={**BARE_ENV, "PATH": path},
            capture_output=True, text=True, timeout=1500,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-5000:]
        return job_counts(result.stdout)

    snakemake_conda()
    deployed, cloned = (
        read_table(folder / "results" / "summary.csv").drop(columns=VOLATILE)
        for folder in (project, study)
    )
    assert "second" in set(deployed["input"])
    in_both = deployed[deployed["input"].isin(cloned["input"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(in_both, cloned)
    conda_envs = project / ".snakemake" / "conda"
    environments = [path.parent for path in conda_envs.glob("*/bin")]
    imports = {
        tuple(
            subprocess.run(
                [folder / "bin" / "python", "-c", PACKAGE_ORIGINS],
                cwd=project,
                env=BARE_ENV,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        )  # fmt: skip
        for folder in environments
    }
    package = str(tree / "lowrank" / "__init__.py")
    assert imports == {
        (package, "none", "none", "none"),
        (package, "site-packages", "none", "none"),
    }
    # The environments hold no code of the package: an edit reruns what the
    # rerun table says, not the study.
    assert snakemake_conda("--dry-run") == {}
    with (tree / "lowrank" / "report" / "page.py").open("a") as page:
        page.write("# edited\n")
    assert snakemake_conda("--dry-run") == {"report_page": 1, "all": 1}


# Where an environment's lowrank comes from (installed editable: the module
# tree's), and its TensorFlow, Snakemake and pytest if any.
PACKAGE_ORIGINS = """
import importlib.util, pathlib
for name in ("lowrank", "tensorflow", "snakemake", "pytest"):
    spec = importlib.util.find_spec(name)
    origin = pathlib.Path(spec.origin) if spec else None
    print(origin if name == "lowrank" else origin.parents[1].name if spec else "none")
"""


def test_sdm_conda_without_a_package_tree_is_refused_at_the_start(tmp_path):
    # A copy of the workflow without pyproject.toml and the lock (as a module
    # from a Git host has none) has nothing to install into the environments.
    workdir = make_study(tmp_path / "conda", TINY_CONFIG)
    result = snakemake(workdir, "--sdm", "conda", "--dry-run", check=False)
    assert result.returncode != 0
    message = "--sdm conda needs the workflow's source tree"
    assert message in result.stdout + result.stderr
    assert not (workdir / ".snakemake" / "conda").exists()


def test_gpu_training_under_conda_plans_the_cuda_build(tmp_path):
    """``training.device: gpu`` under --sdm conda (a login node without a GPU
    planning for GPU nodes): the training environment is the CUDA build, the
    others are not, and training jobs ask for a GPU."""
    import conda_stand_in
    from test_conda_envs import tree_copy

    tree = tree_copy(tmp_path / "lowrank")
    config = {**TINY_CONFIG, "training": {**TINY_CONFIG["training"], "device": "gpu"}}
    project = deployed_project(
        tmp_path / "project", tree / "workflow" / "Snakefile", config
    )
    conda_bin = conda_stand_in.install(tmp_path / "conda")
    path = os.pathsep.join([str(conda_bin), os.environ["PATH"]])
    result = snakemake(
        project, "--sdm", "conda", "--dry-run", env={**os.environ, "PATH": path}
    )
    envs = project / ".snakemake" / "lowrank" / "envs"
    training = yaml.safe_load((envs / "training.yaml").read_text())
    analysis = yaml.safe_load((envs / "analysis.yaml").read_text())
    assert training["dependencies"][2]["pip"] == [
        f"--constraint {tree / 'constraints-cuda.txt'}",
        f"--editable '{tree}[training,cuda]'",
    ]
    assert analysis["dependencies"][2]["pip"][1] == f"--editable {tree}"
    assert re.search(r"^\s+resources: .*\bgpu=1\b", result.stdout, flags=re.M)


def test_the_catalog_claims_what_the_tests_run():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    deployment = catalog["usage"]["software-stack-deployment"]
    assert deployment == {
        "conda": True,
        "apptainer": False,
        "apptainer+conda": False,
        "report": True,
    }
    tests = (REPO / "tests" / "test_workflow.py").read_text()
    for name in (
        "test_sdm_conda_runs_a_deployed_study_in_its_own_environments",
        "test_snakemake_report_builds",
    ):
        assert f"def {name}(" in tests


def aggregate_commands(workdir):
    """Rule -> the shell command a dry run prints for each aggregate job."""
    output = snakemake(workdir, "--dry-run", "--printshellcmds").stdout
    commands = {}
    for block in re.split(r"^(?=(?:local)?rule \w+:$)", output, flags=re.M):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        if rule and rule.group(1) in ("summary", "bd_rates", "report_page"):
            command = re.search(r"^Shell command: (.*)$", block, flags=re.M)
            commands[rule.group(1)] = command[1]
    return commands


def test_an_aggregates_command_does_not_grow_with_the_study(tmp_path):
    """An aggregate reads its files' list from a file, so that thousands of
    inputs fit: its command line is the same for 2 inputs and for 200 (a
    Linux argument holds 128 KiB)."""
    lengths = []
    for count in (1, 200):
        config = {
            **TINY_CONFIG,
            "matrices": {"m": {"family": "diag", "n": 4, "count": count, "ranks": [1]}},
        }
        commands = aggregate_commands(make_study(tmp_path / str(count), config))
        assert set(commands) == {"summary", "bd_rates", "report_page"}
        lengths.append({rule: len(command) for rule, command in commands.items()})
    assert lengths[0] == lengths[1]
