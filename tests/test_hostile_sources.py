"""Hostile sources (an image URL, a file, a record read back) cost their own
input at most, never a file outside the study (docs/design.md, "When things
go wrong")."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from hostile_server import HostileServer
from PIL import Image
from test_faults import problems_text
from test_reruns import contract, jobs_named, planned_jobs
from test_shared_machine import neighbour_python
from test_slurm import VOLATILE
from test_workflow import TINY_CONFIG, TINY_IMAGE, make_study, snakemake

from lowrank.conda_envs import environment_text
from lowrank.errors import RecordError, StudySpecError
from lowrank.evaluation.summary import read_table
from lowrank.hdf5_files import checked_attrs
from lowrank.inputs.cards import load_card
from lowrank.inputs.download import FetchError, download
from lowrank.inputs.urls import FetchLimits, url_stem
from lowrank.report.page import published

REPO = Path(__file__).resolve().parents[1]
# Small bounds, so that every attack ends in seconds.
FETCH = {"connect_timeout": 2, "read_timeout": 1, "deadline": 4}
LIMITS = FetchLimits(max_bytes=100_000, **FETCH)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x/../../../etc/photo.png",
        "http://h/x/%2e%2e/photo.png",
        "http://h/a/./photo.png",
        "http://h/a//photo.png",
        "http://h/a%2F..%2F..%2Fphoto.png",
        "http://user:secret@h/photo.png",
        "http://h/new%0Aline.png",
        "http://h/nul%00.png",
        "http://h/tab\t.png",
        "ftp://h/photo.png",
        "http://h/notes.txt",
        "http://h:99999/photo.png",
    ],
)
def test_a_url_that_could_name_another_place_is_refused_naming_it(url):
    with pytest.raises(StudySpecError, match="images.urls") as error:
        url_stem(url)
    assert repr(url) in str(error.value)


def test_an_ordinary_url_names_its_input_by_its_stem():
    assert url_stem("https://host/a/b%20c.v2.PNG?x=1#y") == "b c.v2"


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    Image.new("RGB", (8, 6), (10, 200, 30)).save(folder / "photo.png")
    with HostileServer(folder) as running:
        yield running


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("endless/x.png", "over 100000 bytes"),
        ("stall/x.png", "stalled past images.fetch.read_timeout"),
        ("trickle/x.png", "longer than images.fetch.deadline"),
        ("gzip/x.png", "gzip-encoded body"),
        ("elsewhere/photo.png", "redirected to another origin"),
        ("file/x.png", "redirected to another origin (file:///etc/passwd)"),
        ("missing/x.png", "HTTP 404"),
    ],
)
def test_a_hostile_server_gets_a_bounded_refusal(server, tmp_path, path, reason):
    target = tmp_path / "x.bytes"
    start = time.monotonic()
    with pytest.raises(FetchError, match=re.escape(reason)) as error:
        download(f"{server.url}/{path}", target, LIMITS)
    assert time.monotonic() - start < FETCH["deadline"] + 2
    assert str(error.value).startswith(server.url)
    assert not target.exists() and list(tmp_path.iterdir()) == [tmp_path / "served"]


def test_a_download_follows_same_origin_redirects_unless_they_are_off(server, tmp_path):
    size, _ = download(f"{server.url}/same/photo.png", tmp_path / "a", LIMITS)
    assert (tmp_path / "a").read_bytes() == (server.folder / "photo.png").read_bytes()
    off = FetchLimits(**{**LIMITS.__dict__, "redirects": "off"})
    with pytest.raises(FetchError, match="images.fetch.redirects is off"):
        download(f"{server.url}/same/photo.png", tmp_path / "b", off)
    with pytest.raises(FetchError, match="cannot be reached"):
        download(f"http://127.0.0.1:{closed_port()}/photo.png", tmp_path / "c", LIMITS)


def hostile_urls(server):
    """Stem -> (URL, what the report says of it) for each attack."""
    url = server.url
    down = f"http://127.0.0.1:{closed_port()}"
    return {
        "endless": (f"{url}/endless/endless.png", "more than an image of images.max"),
        "stall": (f"{url}/stall/stall.png", "stalled past images.fetch.read_timeout"),
        "trickle": (f"{url}/trickle/trickle.png", "longer than images.fetch.deadline"),
        "bomb": (f"{url}/gzip/bomb.png", "gzip-encoded body"),
        "crossed": (f"{url}/elsewhere/crossed.png", "redirected to another origin"),
        "passwd": (f"{url}/file/passwd.png", "file:///etc/passwd"),
        "down": (f"{down}/down.png", "cannot be reached"),
        "missing": (f"{url}/missing/missing.png", "HTTP 404"),
    }  # fmt: skip


def test_hostile_urls_cost_their_own_input_and_the_study_finishes(
    study, server, tmp_path
):
    """Every attack of issue #44 in one study beside the tiny image, its
    matrix and an image fetched through a same-origin redirect: the run ends
    with rc 0, the good inputs' rows equal the study without the attacks,
    each attack is named in the report with its reason, downloads are
    bounded and stay in results/downloads, and only the failed URLs are
    tried again by the next run."""
    attacks = hostile_urls(server)
    shutil.copy(study / "resources" / "images" / TINY_IMAGE, server.folder / TINY_IMAGE)
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["images"]["urls"] = [
        f"{server.url}/same/{urllib.parse.quote(TINY_IMAGE)}",
        *(url for url, _ in attacks.values()),
    ]
    config["images"]["fetch"] = FETCH
    config["images"]["directory"] = "resources/none"
    workdir = make_study(tmp_path / "hostile", config)
    outside = sorted(tmp_path.rglob("*"))

    start = time.monotonic()
    snakemake(workdir)
    assert time.monotonic() - start < 600

    problems = problems_text(workdir)
    for url, reason in attacks.values():
        assert url in problems and reason in problems, (url, problems)
    ours, theirs = (
        read_table(folder / "results" / "summary.csv").drop(columns=VOLATILE)
        for folder in (workdir, study)
    )
    pd.testing.assert_frame_equal(ours, theirs)
    downloads = workdir / "results" / "downloads"
    max_bytes = 4 * config["images"]["max_pixels"] + (1 << 20)
    for stem in attacks:
        assert (downloads / f"{stem}.bytes").stat().st_size == 0
    assert all(path.stat().st_size <= max_bytes for path in downloads.iterdir())
    # Nothing written or removed outside the study.
    created = {p for p in tmp_path.rglob("*") if not p.is_relative_to(workdir)}
    assert created == set(outside) - {p for p in outside if p.is_relative_to(workdir)}
    # Each failure is tried again at the next run; the fetched image is not.
    fetches = {name for rule, name in planned_jobs(workdir) if rule == "fetch"}
    assert fetches == set(attacks)
    # The rerun table's fetch row: an edit of the downloader fetches every
    # URL again, and what follows reruns for the images it fetched.
    with (workdir / "lowrank" / "inputs" / "download.py").open("a") as module:
        module.write("\n# edited\n")
    planned = planned_jobs(workdir)
    assert {name for rule, name in planned if rule == "fetch"} == {
        *attacks,
        Path(TINY_IMAGE).stem,
    }
    edit_row = next(
        row for row in contract("edits") if "`inputs/download.py`" in row[0]
    )
    assert {rule for rule, _ in planned} == jobs_named(edit_row[2])
    assert {name for _, name in planned} == {*attacks, Path(TINY_IMAGE).stem, None}


def test_planning_asks_no_server_and_a_climbing_url_is_refused(server, tmp_path):
    """Planning makes no request (a HEAD that never answers, a server that is
    down cannot stop it), and a URL that climbs out of its folder stops it
    with a message naming the URL, before anything is written."""
    config = {**TINY_CONFIG, "matrices": {}}
    down = f"http://127.0.0.1:{closed_port()}/y.png"
    config["images"] = {**TINY_CONFIG["images"],
                        "urls": [f"{server.url}/stall/x.png", down]}  # fmt: skip
    workdir = make_study(tmp_path / "plan", config)
    planned = snakemake(workdir, "--dry-run")
    assert "fetch" in planned.stdout and server.requests == []

    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "photo.png").write_text("precious")
    climbing = f"{server.url}/ok/" + "../" * 12 + f"{victim}/photo.png".lstrip("/")
    config["images"]["urls"] = [climbing]
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    refused = snakemake(workdir, check=False)
    assert refused.returncode != 0
    assert repr(climbing) in refused.stderr and "'..'" in refused.stderr
    assert (victim / "photo.png").read_text() == "precious"
    assert server.requests == [] and not (workdir / "results").exists()


FUZZ_READER = """
import resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
sys.path.insert(0, sys.argv[2])
from image_fuzz import write_corpus
from lowrank.errors import InputFileError
from lowrank.inputs.images import load_image
worst = 0.0
for path in write_corpus(Path(sys.argv[1]), 50, seed=44):
    start = time.perf_counter()
    try:
        load_image(path, "rgb", 1 << 20)
        outcome = "read"
    except InputFileError:
        outcome = "refused"
    worst = max(worst, time.perf_counter() - start)
    print(path.name, outcome)
print("worst", worst)
"""


def test_a_fuzzed_corpus_is_read_or_refused_by_name_in_bounded_time_and_memory(
    tmp_path,
):
    """300 mutated PNG, JPEG, TIFF, GIF, WebP and BMP files (seeded,
    tests/image_fuzz.py), each read or refused with the input error, within
    2 GiB of address space and a second a file."""
    # One BLAS thread: a pool per core reserves address space of its own.
    one_thread = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    finished = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FUZZ_READER, str(tmp_path),
         str(Path(__file__).parent)],
        capture_output=True, text=True, timeout=300, env=one_thread,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = finished.stdout.splitlines()
    outcomes = [line.split()[1] for line in lines[:-1]]
    assert len(outcomes) == 300 and set(outcomes) == {"read", "refused"}
    assert float(lines[-1].split()[1]) < 1.0


PLAN_AS_NEIGHBOUR = """
import sys, warnings
sys.path.insert(0, sys.argv[1])
from lowrank.study import plan_study
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    plan = plan_study({"images": {"directory": sys.argv[2]}, "ranks": [1]})
print([item.name for item in plan])
for warning in caught:
    print(warning.message)
"""


def test_files_the_user_cannot_read_are_left_out_at_planning(tmp_path):
    """Run as a second local account (the system Python, no library: planning
    needs none): a file of mode 000 and a link to /etc/shadow are named as
    left out and never become inputs; a FIFO neither."""
    run_as_neighbour = neighbour_python()
    shared = Path(tempfile.mkdtemp(prefix="lowrank-neighbour-", dir="/tmp"))
    try:
        shared.chmod(0o755)
        # A copy of the package the neighbour can read, wherever the checkout is.
        shutil.copytree(REPO / "lowrank", shared / "lowrank",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        images = shared / "images"
        images.mkdir()
        Image.new("L", (4, 4)).save(images / "good.png")
        Image.new("L", (4, 4)).save(images / "locked.png")
        (images / "locked.png").chmod(0o000)
        (images / "shadow.png").symlink_to("/etc/shadow")
        os.mkfifo(images / "pipe.png")
        subprocess.run(["chmod", "-R", "a+rX", str(shared / "lowrank")], check=True)
        finished = subprocess.run(
            [*run_as_neighbour, PLAN_AS_NEIGHBOUR, str(shared), str(images)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        shutil.rmtree(shared)
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == "['good']"
    assert any("locked.png: is not readable by this user" in line for line in lines)
    assert any("shadow.png: is not readable by this user" in line for line in lines)
    assert any("pipe.png: is not a regular file" in line for line in lines)


@pytest.mark.parametrize(
    "card",
    [
        {"shape": [10**300, 10**300], "limit": 100},
        {"shape": [20_000, 20_000], "limit": None},
        {"shape": [0, 5], "limit": None},
        {"shape": [4, 6], "limit": "abc"},
        {"shape": [4, 6], "limit": 1e400},
        {"shape": [4, 6], "limit": -5},
        {"shape": [4, 6], "limit": True},
        {"shape": [4.0, 6], "limit": None},
        {"shape": [4, 6]},
        {"shape": [4, 6], "limit": None, "extra": 1},
        {"skipped": 3, "oversize": False, "limit": None},
        {"skipped": "x", "oversize": "no", "limit": None},
        {"skipped": "x", "limit": None},
        [4, 6],
    ],
)
def test_a_crafted_card_is_a_damaged_card_named(tmp_path, card):
    path = tmp_path / "x.json"
    path.write_text(json.dumps(card).replace("Infinity", "1e400"))
    with pytest.raises(RecordError, match="x.json.*delete it and run again"):
        load_card(path)


def test_an_hdf5_string_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "r.h5"
    with h5py.File(path, "w") as handle:
        text = np.array(b"\xff\xfe", dtype=h5py.string_dtype("utf-8"))
        handle.attrs.create("source", text)
    with h5py.File(path) as handle, pytest.raises(RecordError, match="'source'"):
        checked_attrs(handle, path, {"source": str})


def test_a_figure_that_is_a_link_is_not_published(tmp_path):
    results = tmp_path / "results"
    figures = results / "figures"
    figures.mkdir(parents=True)
    (figures / "a.svg").symlink_to("/etc/passwd")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "b.svg").write_text("<svg/>")
    (figures / "linked").symlink_to(tmp_path / "outside")
    for figure in (figures / "a.svg", figures / "linked" / "b.svg"):
        with pytest.raises(RecordError, match="delete it and run again"):
            published(figure, results / "report")
    assert not (results / "report").exists()
    (figures / "c.svg").write_text("<svg/>")
    assert published(figures / "c.svg", results / "report") == Path("figures/c.svg")


def test_a_newline_in_the_source_tree_cannot_add_a_key_to_an_environment(tmp_path):
    tree = tmp_path / "tree\nvariables:\n  LD_PRELOAD: evil.so\n#"
    tree.mkdir()
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(REPO / name, tree / name)
    environment = yaml.safe_load(
        environment_text(tree, ["training"], "constraints.txt")
    )
    assert set(environment) == {"channels", "dependencies"}
    pip = environment["dependencies"][-1]["pip"]
    assert any(str(tree) in line for line in pip)
