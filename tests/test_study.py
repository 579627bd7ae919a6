import subprocess
import sys

import pytest
from PIL import Image

from lowrank.errors import InputFileError, StudySpecError
from lowrank.study import (
    RESERVED_STEMS,
    IgnoredFileWarning,
    SkippedInputWarning,
    SkippedRankWarning,
    discover_images,
    plan_study,
)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("L", (6, 4)).save(folder / "wide one.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def test_discovery_ignores_hidden_and_other_files(images):
    assert list(discover_images(images)[0]) == ["wide one"]
    config = {"images": {"directory": str(images)}, "ranks": [1]}
    with pytest.warns(IgnoredFileWarning) as caught:
        plan_study(config)
    ignored = [str(w.message) for w in caught if w.category is IgnoredFileWarning]
    assert len(ignored) == 1 and "notes.txt (not image files)" in ignored[0]
    assert ".DS_Store" not in ignored[0]


def test_two_files_with_one_stem_are_named(images):
    Image.new("L", (6, 4)).save(images / "wide one.jpg")
    with pytest.raises(InputFileError, match="share the stem 'wide one'") as error:
        discover_images(images)
    # Both files are named, whichever the folder listed first.
    assert "wide one.jpg" in str(error.value) and "wide one.png" in str(error.value)


def test_images_are_planned_with_their_configured_ranks(images):
    # Their shapes are read by their prepare jobs (lowrank.inputs.cards).
    config = {"images": {"directory": str(images)}, "ranks": [9, 1, 3]}
    (item,) = plan_study(config)
    assert item.ranks == (1, 3, 9) and item.shape is None


def test_matrix_ranks_outside_the_shape_are_skipped_with_a_warning(tmp_path):
    config = {
        "images": {"directory": str(tmp_path / "none")},
        "matrices": {"wide": {"family": "uniform", "count": 1, "shape": [4, 6],
                              "seed": 0, "ranks": [1, 3, 4, 9]}},
    }  # fmt: skip
    with pytest.warns(SkippedRankWarning, match=r"wide \(4x6\).*\[4, 9\]"):
        (item,) = plan_study(config)
    assert item.ranks == (1, 3) and item.shape == (4, 6)


def test_matrix_sets_become_members(tmp_path):
    config = {
        "images": {"directory": str(tmp_path / "none")},
        "matrices": {
            "r": {
                "family": "uniform",
                "count": 2,
                "shape": [3, 5],
                "seed": 0,
                "ranks": [2],
            },
            "d": {"family": "diag", "n": 4, "ranks": [1, 2]},
        },
    }
    plan = {item.name: item for item in plan_study(config)}
    assert set(plan) == {"r-0", "r-1", "d"}
    assert plan["r-1"].set == "r" and plan["r-1"].member == 1
    assert plan["d"].ranks == (1, 2)


@pytest.mark.parametrize("stem", RESERVED_STEMS)
def test_an_image_named_like_a_study_table_is_skipped(images, stem):
    Image.new("L", (6, 4)).save(images / f"{stem}.png")
    config = {"images": {"directory": str(images)}, "ranks": [1]}
    with pytest.warns(SkippedInputWarning, match=rf"{stem}.png: the stem"):
        plan = plan_study(config)
    assert [item.name for item in plan] == ["wide one"]


def test_name_collision_and_empty_study_are_errors(images, tmp_path):
    config = {
        "images": {"directory": str(images)},
        "ranks": [1],
        "matrices": {"wide one": {"family": "diag", "n": 3, "ranks": [1]}},
    }
    with pytest.raises(StudySpecError, match="wide one"):
        plan_study(config)
    with pytest.raises(StudySpecError, match="images.directory.*matrices"):
        plan_study({"images": {"directory": str(tmp_path / "empty")}, "ranks": [1]})


def test_overrides_that_match_nothing_are_named(images):
    config = {
        "images": {"directory": str(images)},
        "ranks": [1],
        "overrides": {"wide one": {"mode": "rgb"}, "typo": {"mode": "rgb"}},
    }
    with pytest.warns(SkippedInputWarning, match=r"overrides: \['typo'\]"):
        plan_study(config)


PLAN_LARGE_SETS = """
import resource, sys
from lowrank.study import plan_study
config = {
    "images": {"directory": sys.argv[1]},
    "matrices": {
        "big": {"family": "uniform", "count": 20, "shape": [2000, 2000], "seed": 0,
                "ranks": [1]},
        "sym": {"family": "symmetric", "count": 20, "n": 2000, "seed": 0, "ranks": [1]},
    },
}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
plan = plan_study(config)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(plan), plan[-1].shape, grown // 1024)
"""


def test_planning_large_member_sets_builds_no_matrix(tmp_path):
    # Forty 2000 x 2000 members are 1.3 GB of float64: planning needs their
    # number and shape only.
    finished = subprocess.run(
        [sys.executable, "-c", PLAN_LARGE_SETS, str(tmp_path / "none")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    members, rest = finished.stdout.split(" ", 1)
    shape_text, grown = rest.rsplit(" ", 1)
    assert (int(members), shape_text) == (40, "(2000, 2000)")
    assert int(grown) < 50  # MB; one member alone is 32


PLAN_WITHOUT_LIBRARIES = """
import sys
# Snakemake's own environment: none of the jobs' libraries.
for name in ("numpy", "PIL", "h5py", "pandas"):
    sys.modules[name] = None
from lowrank.study import plan_study
plan = plan_study({"images": {"directory": sys.argv[1]}, "ranks": [1],
                   "matrices": {"d": {"family": "diag", "n": 3, "ranks": [1]}}})
print(sorted(item.name for item in plan))
"""


def test_planning_needs_no_library_and_decodes_no_file(images):
    (images / "broken.png").write_bytes(b"\x89PNG broken")
    (images / "empty.jpg").write_bytes(b"")
    finished = subprocess.run(
        [sys.executable, "-c", PLAN_WITHOUT_LIBRARIES, str(images)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    # The broken ones are planned: their prepare jobs leave them out.
    assert finished.stdout.split("\n")[0] == "['broken', 'd', 'empty', 'wide one']"


def test_remote_images_are_named_by_the_stem_of_their_path(images):
    config = {
        "images": {"directory": str(images),
                   "urls": ["https://host/a/b%20c.png?x=1", "http://host/d.JPG"]},
        "ranks": [1],
    }  # fmt: skip
    plan = {item.name: item for item in plan_study(config)}
    assert (
        plan["b c"].url == "https://host/a/b%20c.png?x=1" and plan["b c"].path is None
    )
    assert plan["d"].kind == "image" and plan["wide one"].url is None
    for urls, message in (
        (["https://host/notes.txt"], "does not end in an image suffix"),
        (["https://h/x.png", "https://g/x.jpg"], "share the stem 'x'"),
        (["https://h/wide%20one.png"], "share the stem 'wide one'"),
    ):
        config["images"]["urls"] = urls
        with pytest.raises(StudySpecError, match=message):
            plan_study(config)
