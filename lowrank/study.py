"""Which inputs a study has and at which ranks: the workflow's plan.

Images are discovered in a folder (one input per file stem); study matrices
come from the config's ``matrices`` section, one input per member. A rank
outside 1..min(m, n) - 1 for an input is skipped with a warning that names the
input and its shape, since min(m, n) and above reproduce the input exactly.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

from lowrank.errors import InputFileError, StudySpecError
from lowrank.images import image_shape, is_image_path
from lowrank.matrices import build_members


class SkippedRankWarning(UserWarning):
    """A configured rank does not fit an input and was left out."""


@dataclass(frozen=True)
class StudyInput:
    """One input of the study.

    ``name`` is used in result paths; ``set`` and ``member`` group the members
    of a random matrix set; ``path`` is the image file (None for matrices);
    ``shape`` is None when an image header cannot be read (its conversion job
    then fails with the reason, and other inputs go on).
    """

    name: str
    kind: str
    set: str
    member: int
    ranks: tuple
    shape: tuple | None = None
    path: Path | None = None


def discover_images(directory):
    """Map file stem -> path for every image file in ``directory``.

    Hidden files and files with other suffixes are ignored. Two files with one
    stem (a.png and a.jpg) would share result paths, so they are an error.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return {}
    found = {}
    for path in sorted(directory.iterdir()):
        if not (path.is_file() and is_image_path(path)):
            continue
        if path.stem in found:
            raise InputFileError(
                f"{found[path.stem]} and {path} share the stem {path.stem!r}; "
                "rename one, since results are named by stem"
            )
        found[path.stem] = path
    return found


def plan_study(config):
    """Return the list of :class:`StudyInput` a validated config asks for."""
    image_config = config.get("images", {})
    directory = image_config.get("directory", "resources/images")
    max_pixels = image_config.get("max_pixels")
    overrides = config.get("rank_overrides", {})
    images = discover_images(directory)
    unknown = sorted(set(overrides) - set(images))
    if unknown:
        warnings.warn(
            f"rank_overrides: no image with stem(s) {unknown} in {directory}",
            SkippedRankWarning,
            stacklevel=2,
        )
    plan = []
    for stem, path in images.items():
        try:
            shape = image_shape(path, max_pixels=max_pixels)
        except InputFileError:
            shape = None
        ranks = overrides.get(stem, config.get("ranks", []))
        plan.append(
            StudyInput(stem, "image", stem, 0, _fit(stem, ranks, shape), shape, path)
        )
    for name, spec in config.get("matrices", {}).items():
        members = build_members(name, spec)
        for index, member in enumerate(members):
            member_name = name if len(members) == 1 else f"{name}-{index}"
            if member_name in images:
                raise StudySpecError(
                    f"matrices.{name}: input name {member_name!r} is also the stem of "
                    f"{images[member_name]}; rename one"
                )
            ranks = _fit(member_name, spec["ranks"], member.shape)
            plan.append(
                StudyInput(
                    member_name, spec["family"], name, index, ranks, member.shape
                )
            )
    if not plan:
        raise StudySpecError(
            f"nothing to study: no image files in {directory} (config key "
            "images.directory) and no entries under the config key matrices"
        )
    return plan


def _fit(name, ranks, shape):
    if shape is None:
        return tuple(sorted(set(ranks)))
    limit = min(shape) - 1
    kept = tuple(sorted({rank for rank in ranks if 1 <= rank <= limit}))
    skipped = sorted(set(ranks) - set(kept))
    if skipped:
        warnings.warn(
            f"{name} ({shape[0]}x{shape[1]}): rank(s) {skipped} skipped, "
            f"ranks must lie in 1..{limit}",
            SkippedRankWarning,
            stacklevel=3,
        )
    return kept
