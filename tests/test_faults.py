"""Faults during a study: killed jobs, divergence, damaged results, reruns."""

import html
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image
from test_images import decompression_bomb, png_of_16_bit_rgb
from test_reruns import planned_jobs
from test_slurm import VOLATILE
from test_workflow import (
    SNAKEMAKE,
    TINY_CONFIG,
    TINY_IMAGE,
    make_study,
    snakemake,
    write_image,
)

from lowrank.evaluation.summary import read_table

pytestmark = pytest.mark.workflow

DATA = Path(__file__).parent / "data"


def slow_config():
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["matrices"] = {}
    config["ranks"] = [1, 2, 3, 4, 5]
    config["methods"] = ["paper"]
    # About a second a rank on a warm server here: the kill must land while
    # four ranks are left, however busy the machine is.
    config["regimes"]["paper"] = {"samples": 200_000, "epochs": 8}
    return config


def records(workdir, method):
    """The network records of ``method`` a study holds."""
    return sorted((workdir / "results" / "approximations").glob(f"*/{method}/*.h5"))


def training_processes(workdir):
    """The training job's processes (its shell and Python) of this study."""
    found = subprocess.run(
        ["pgrep", "-f", "lowrank.training.job"], capture_output=True, text=True
    )
    return [
        pid
        for pid in map(int, found.stdout.split())
        if _working_directory(pid) == workdir.resolve()
    ]


def _working_directory(pid):
    try:
        return Path(f"/proc/{pid}/cwd").resolve(strict=True)
    except OSError:  # ended meanwhile
        return None


def start_and_kill(workdir, whole_run):
    """Start a study, wait until training runs, then SIGKILL the training job
    (or, with ``whole_run``, Snakemake and every job it started)."""
    command = [*SNAKEMAKE, "--cores", "1", "--resources", "gpu=1"]
    runner = subprocess.Popen(
        ["timeout", "-k", "10", "600", *command],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Midway: the first of the five ranks is trained, the others are not.
    log = workdir / "results" / "logs" / "train" / Path(TINY_IMAGE).stem / "paper.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and "rank 1:" in log.read_text()):
        assert time.monotonic() < deadline, "no rank was trained within 120 s"
        time.sleep(0.02)
    assert training_processes(workdir), "the training job ended before the kill"
    if whole_run:
        os.killpg(runner.pid, signal.SIGKILL)
    else:
        for pid in training_processes(workdir):
            os.kill(pid, signal.SIGKILL)
    runner.wait(timeout=120)
    return not records(workdir, "nn-paper")


def test_killed_training_job_leaves_no_result_and_a_rerun_completes(tmp_path):
    workdir = make_study(tmp_path, slow_config())
    assert start_and_kill(workdir, whole_run=False)
    snakemake(workdir)
    assert (workdir / "results" / "summary.csv").is_file()


def test_killed_snakemake_needs_unlock_then_completes(tmp_path):
    workdir = make_study(tmp_path, slow_config())
    assert start_and_kill(workdir, whole_run=True)
    assert "--unlock" in snakemake(workdir, check=False).stderr
    snakemake(workdir, "--unlock")
    snakemake(workdir, "--rerun-incomplete")
    assert (workdir / "results" / "summary.csv").is_file()
    assert not list(workdir.rglob("*.tmp-*"))


def problems_text(workdir):
    """The report page's "Failures and inputs left out", as text."""
    page = (workdir / "results" / "report" / "index.html").read_text()
    return html.unescape(
        page[page.index('id="problems"') : page.index('id="overview"')]
    )


def add_unreadable_and_foreign_files(images):
    """A truncated copy of the study's image, an empty JPEG and a text file."""
    good = (images / TINY_IMAGE).read_bytes()
    (images / "truncated.png").write_bytes(good[: len(good) // 2])
    (images / "empty.jpg").write_bytes(b"")
    (images / "notes.txt").write_text("not an image")


def fault_matrix_config(faults):
    """The tiny study with two more study matrices; with ``faults``, one
    (input, rank) of each fails in its own way through an override."""
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["matrices"]["blowup"] = {
        "family": "uniform", "count": 1, "shape": [6, 6], "seed": 3, "ranks": [2],
    }  # fmt: skip
    config["matrices"]["crowded"] = {
        "family": "uniform", "count": 1, "shape": [8, 8], "seed": 4, "ranks": [3],
    }  # fmt: skip
    if faults:
        config["overrides"] = {
            "blowup": {"regimes": {"paper": {"learning_rate": 1e30}}},
            "crowded": {"regimes": {"exact": {"max_steps": 1, "tolerance": 0.0}}},
        }
    return config


def test_fault_matrix_every_failure_is_a_listed_result(tmp_path):
    """Divergence, no convergence, a black image and unreadable or foreign
    files: the study exits 0 with every row, and only the faulty rows differ
    from a run without the faults. (A failed rank check cannot be provoked
    through the config; test_training and test_evaluation cover it.)"""
    clean = make_study(tmp_path / "clean", fault_matrix_config(faults=False))
    faulty = make_study(tmp_path / "faulty", fault_matrix_config(faults=True))
    images = faulty / "resources" / "images"
    add_unreadable_and_foreign_files(images)
    Image.new("L", (8, 6)).save(images / "black.png")
    snakemake(clean)
    result = snakemake(faulty)  # check=True: exit status 0
    assert result.stderr.count("notes.txt") == 1

    table = read_table(faulty / "results" / "summary.csv")
    status = table.set_index(["input", "rank", "method"])["status"]
    assert status[("blowup", 2, "nn-paper")] == "diverged"
    assert status[("crowded", 3, "nn-exact")] == "not-converged"
    assert set(
        status.drop([("blowup", 2, "nn-paper"), ("crowded", 3, "nn-exact")])
    ) == {"ok"}
    diverged = table[(table["input"] == "blowup") & (table["method"] == "nn-paper")]
    assert (
        diverged["rel_err_2"].isna().all() and diverged["svd_rel_err_2"].notna().all()
    )
    assert "learning_rate" in diverged["message"].iloc[0]
    black = table[
        (table["input"] == "black") & table["method"].isin(["svd", "nn-exact"])
    ]
    assert (black["rel_err_2"] < 1e-9).all() and (black["psnr"] > 100).all()

    problems = problems_text(faulty)
    for text in (
        "diverged",
        "not-converged",
        "truncated.png: corrupt or truncated",
        "empty.jpg: the file is empty",
        "notes.txt",
    ):
        assert text in problems

    reference = read_table(clean / "results" / "summary.csv")
    keep = ~reference["input"].isin(["blowup", "crowded"])
    unchanged = table[table["input"].isin(reference.loc[keep, "input"])]
    columns = [c for c in table.columns if c not in VOLATILE]
    pd.testing.assert_frame_equal(
        unchanged[columns].reset_index(drop=True),
        reference.loc[keep, columns].reset_index(drop=True),
    )
    for name in ("blowup", "crowded"):  # the faults touch one method each
        for method in ("svd", "nn-exact" if name == "blowup" else "nn-paper"):
            ours = table[(table["input"] == name) & (table["method"] == method)]
            theirs = reference[
                (reference["input"] == name) & (reference["method"] == method)
            ]
            pd.testing.assert_frame_equal(
                ours[columns].reset_index(drop=True),
                theirs[columns].reset_index(drop=True),
            )


def test_damaged_record_is_named_when_read(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["methods"] = ["exact"]
    config["matrices"] = {}
    config["ranks"] = [1]
    workdir = make_study(tmp_path, config)
    snakemake(workdir)
    record = records(workdir, "nn-exact")[0]
    record.write_bytes(record.read_bytes()[:300])
    # Snakemake tracks a training job's folder as one output and does not
    # see a file edited inside it; the next read of the record names it.
    result = snakemake(workdir, "--forcerun", "evaluate", check=False)
    assert result.returncode != 0
    log = next((workdir / "results" / "logs" / "evaluate").glob("*.log"))
    assert f"{record.name}" in log.read_text()


def test_rerun_from_scratch_reproduces_every_record(tmp_path):
    first = make_study(tmp_path / "first", TINY_CONFIG)
    second = make_study(tmp_path / "second", TINY_CONFIG)
    snakemake(first)
    snakemake(second)
    records = sorted((first / "results" / "approximations").rglob("*.h5"))
    assert len(records) == 6  # (image r1, r2, diag6 r2) x 2 regimes
    for path in records:
        twin = second / path.relative_to(first)
        with h5py.File(path) as a, h5py.File(twin) as b:
            for name in ("approximation", "loss"):
                np.testing.assert_array_equal(a[name][()], b[name][()])
            assert a.attrs["settings"] == b.attrs["settings"]
            assert "tensorflow" in a.attrs["versions"]
    evaluations = sorted((first / "results" / "evaluations").glob("*.csv"))
    assert len(evaluations) == 2
    for path in evaluations:
        ours, theirs = (
            read_table(p).drop(columns=[c for c in VOLATILE if c != "record"])
            for p in (path, second / path.relative_to(first))
        )
        pd.testing.assert_frame_equal(ours, theirs)


def test_bad_images_are_skipped_and_the_rest_completes(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["methods"] = ["exact"]
    config["matrices"] = {}
    workdir = make_study(tmp_path, config)
    images = workdir / "resources" / "images"
    add_unreadable_and_foreign_files(images)
    Image.new("L", (5, 4)).save(images / "black.png")
    Image.new("L", (9, 1), 200).save(images / "line.png")
    Image.new("L", (200, 100)).save(images / "huge.png")  # over max_pixels=10000
    (images / "bomb.png").write_bytes(decompression_bomb())
    for name in ("0001", "NA", "True", "a{b}", r"cost $\frac$ v2", "-h", "--version"):
        write_image(images / f"{name}.png", seed=len(name))
    png_of_16_bit_rgb(images / "deep.png", np.full((6, 5, 3), 40_000))
    # A fuzzed TIFF on which Pillow raises TypeError (tests/image_fuzz.py).
    shutil.copy(DATA / "fuzzed-ifd-type.tif", images / "fuzzed.tif")
    sixteen = np.arange(30, dtype=np.uint16).reshape(6, 5) * 2000
    Image.fromarray(sixteen).save(images / "gray16-alpha.png", transparency=2000)
    Image.fromarray(sixteen.astype(np.int32) * 70_000).save(images / "int32.tif")

    result = snakemake(workdir, "--keep-going")
    # Named as the study is planned, by file name; the others by the job
    # that reads them, and all in the report.
    assert "a{b}.png: Snakemake reads braces" in result.stderr
    problems = problems_text(workdir)
    for name in (
        "truncated.png", "empty.jpg: the file is empty",
        "huge.png: 200x100 = 20000 pixels exceeds the limit of 10000",
        "bomb.png: refused as a decompression bomb", "a{b}.png: Snakemake reads braces",
        "deep.png: a 16-bit image with colour",
        "fuzzed.tif: corrupt or truncated image (TypeError",
        "gray16-alpha.png: a 16-bit gray image with transparency",
        "int32.tif: an image of integers wider than 16 bits",
        "line: no configured rank fits its 1x9 matrix, so it is left out",
    ):  # fmt: skip
        assert name in problems
    table = read_table(workdir / "results" / "summary.csv")
    assert sorted(set(table["input"])) == [
        "--version", "-h", "0001", "NA", "True", "black", r"cost $\frac$ v2",
        "tiny one.v2.é",
    ]  # fmt: skip
    assert (workdir / "results" / "report" / "index.html").is_file()
    black = table[
        (table["input"] == "black") & table["method"].isin(["svd", "nn-exact"])
    ]
    # A zero input: relative errors are absolute errors (README).
    assert (black["rel_err_2"] < 1e-9).all() and (black["psnr"] > 100).all()
    assert (table["status"] == "ok").all()

    # A higher pixel limit reruns the image it refused for its size, no other.
    config["images"]["max_pixels"] = 20_000
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    planned = planned_jobs(workdir)
    assert {name for _, name in planned} == {"huge", None}
    assert ("prepare", "huge") in planned and ("train (exact)", "huge") in planned


def test_a_study_of_matrices_alone_writes_its_summary_and_report(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["methods"] = ["exact"]
    workdir = make_study(tmp_path, config)
    (workdir / "resources" / "images" / TINY_IMAGE).unlink()
    snakemake(workdir)
    table = read_table(workdir / "results" / "summary.csv")
    assert set(table["input"]) == {"diag6"} and (table["status"] == "ok").all()
    assert (workdir / "results" / "report" / "index.html").is_file()
