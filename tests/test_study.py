import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from lowrank.errors import InputFileError, StudySpecError
from lowrank.study import (
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
    assert list(discover_images(images)) == ["wide one"]
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


def test_ranks_outside_the_shape_are_skipped_with_a_warning(images):
    config = {"images": {"directory": str(images)}, "ranks": [1, 3, 4, 9]}
    with pytest.warns(SkippedRankWarning, match=r"wide one \(4x6\).*\[4, 9\]"):
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


def test_unreadable_images_are_skipped_with_a_warning(images, tmp_path):
    (images / "broken.png").write_bytes(b"\x89PNG broken")
    (images / "empty.jpg").write_bytes(b"")
    config = {"images": {"directory": str(images)}, "ranks": [1]}
    cache = tmp_path / "cache" / "images.json"
    with pytest.warns(SkippedInputWarning) as caught:
        plan = plan_study(config, cache_path=cache)
    assert [item.name for item in plan] == ["wide one"]
    messages = " ".join(str(w.message) for w in caught)
    assert "broken.png" in messages and "empty.jpg: the file is empty" in messages
    with pytest.warns(SkippedInputWarning):
        assert [item.name for item in plan_study(config, cache_path=cache)] == [
            "wide one"
        ]
    assert "broken.png" in cache.read_text()


@pytest.mark.parametrize("stem", ["bd_rates", "set_curves"])
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


def test_an_image_cache_that_cannot_be_written_costs_nothing_else(
    images, tmp_path, monkeypatch
):
    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    cache = tmp_path / "cache" / "images.json"
    plan = plan_study({"images": {"directory": str(images)}, "ranks": [1]}, cache)
    assert [item.name for item in plan] == ["wide one"]
    assert list(cache.parent.iterdir()) == []  # no temporary file left
