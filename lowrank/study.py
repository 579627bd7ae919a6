"""Which inputs a study has and at which ranks: the workflow's plan.

Images are discovered in a folder, one input per file stem, by name alone:
planning decodes no file, so it needs only the standard library (Snakemake's
own environment) and works on a folder of any size. An image is decoded by
its ``prepare`` job; one that cannot be read (corrupt, truncated, empty, over
the pixel limit) is left out there, naming the file and the reason
(:mod:`lowrank.inputs.cards`), so the rest of the study runs. Its ranks are
fitted to its shape there too.

Study matrices come from the config's ``matrices`` section, one input per
member; their shapes are in the config, so a rank outside 1..min(m, n) - 1 is
skipped here with a warning that names the input and its shape, since
min(m, n) and above reproduce the input exactly.
"""

import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from lowrank.errors import InputFileError, StudySpecError
from lowrank.inputs.cards import fitted_ranks
from lowrank.inputs.image_files import is_image_path
from lowrank.inputs.matrix_specs import member_layout
from lowrank.inputs.urls import url_stem

# Image stems that would claim a study-wide output beside the per-image ones
# (results/rate_distortion/bd_rates_*.csv and set_curves.csv).
RESERVED_STEMS = ("bd_rates_aggregate", "bd_rates_per_image", "set_curves")


class SkippedRankWarning(UserWarning):
    """A configured rank does not fit an input and was left out."""


class SkippedInputWarning(UserWarning):
    """An image file cannot be read and was left out of the study."""


class IgnoredFileWarning(UserWarning):
    """A file in the image folder is not an image and is not an input."""


@dataclass(frozen=True)
class StudyInput:
    """One input of the study.

    ``name`` is used in result paths; ``set`` and ``member`` group the members
    of a random matrix set; ``path`` is a local image file, ``url`` a remote
    one (both None for matrices);
    ``shape`` is (rows, cols) of a matrix, None for an image (its card has
    it); ``ranks`` are fitted to a matrix's shape, an image's as configured.
    """

    name: str
    kind: str
    set: str
    member: int
    ranks: tuple
    shape: tuple | None
    path: Path | None = None
    url: str | None = None


def discover_images(directory):
    """Map file stem -> path for every image file in ``directory``, and the
    image files left out: {path: why} for those that are not regular files
    or that this user cannot read, which no job is given.

    Hidden files and files with other suffixes are ignored. Two files with one
    stem (a.png and a.jpg) would share result paths, so they are an error.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return {}, {}
    found, unusable = {}, {}
    for path in sorted(directory.iterdir()):
        if not is_image_path(path):
            continue
        if why := unusable_reason(path):
            unusable[path] = why
            continue
        if path.stem in found:
            raise InputFileError(
                f"{found[path.stem]} and {path} share the stem {path.stem!r}; "
                "rename one, since results are named by stem"
            )
        found[path.stem] = path
    return found, unusable


def unusable_reason(path):
    """Why the image file ``path`` cannot be an input (not a regular file
    once links are followed, or not readable by this user), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return f"cannot be examined ({error.strerror})"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    if not os.access(path, os.R_OK):
        return "is not readable by this user"
    return None


def remote_images(urls):
    """Map stem -> URL for the images of ``images.urls``, each named by the
    stem of its path, as a local file is by its name; a URL that could name
    another place (:func:`lowrank.inputs.urls.url_stem`) is refused."""
    found = {}
    for url in urls:
        stem = url_stem(url)
        if stem in found:
            raise StudySpecError(
                f"images.urls: {found[stem]} and {url} share the stem "
                f"{stem!r}, which names their results"
            )
        found[stem] = url
    return found


def ignored_files(directory):
    """Names of the visible files in ``directory`` that are not image files."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [
        path.name
        for path in sorted(directory.iterdir())
        if path.is_file() and not path.name.startswith(".") and not is_image_path(path)
    ]


def plan_study(config, warn=warnings.warn):
    """Return the list of :class:`StudyInput` a validated config asks for.

    Skipped files and ranks are announced through ``warn(message, category)``,
    by default :func:`warnings.warn`.
    """
    directory = config.get("images", {}).get("directory", "resources/images")
    remote = remote_images(config.get("images", {}).get("urls", []))
    overrides = config.get("rank_overrides", {})
    images, unusable = discover_images(directory)
    for path, why in unusable.items():
        warn(f"skipped: {path}: {why}", SkippedInputWarning)
    if shared := sorted(set(images) & set(remote)):
        raise StudySpecError(
            f"images.urls: {remote[shared[0]]} and {images[shared[0]]} share the "
            f"stem {shared[0]!r}, which names their results; rename one"
        )
    images.update(remote)
    unknown = sorted(set(overrides) - set(images))
    if unknown:
        warn(
            f"rank_overrides: no image with stem(s) {unknown} in {directory}",
            SkippedRankWarning,
        )
    ignored = ignored_files(directory)
    if ignored:
        warn(
            f"ignored in {directory}: {', '.join(ignored)} (not image files)",
            IgnoredFileWarning,
        )
    for stem in sorted(set(images) & set(RESERVED_STEMS)):
        warn(
            f"skipped: {images.pop(stem)}: the stem {stem!r} names a study-wide "
            f"table (results/rate_distortion/{stem}.csv); rename the file",
            SkippedInputWarning,
        )
    for stem in sorted(stem for stem in images if set(stem) & set("{}")):
        warn(
            f"skipped: {images.pop(stem)}: Snakemake reads braces in a file "
            "name as a wildcard; rename the file",
            SkippedInputWarning,
        )
    plan = []
    for stem, location in images.items():
        ranks = tuple(sorted(set(overrides.get(stem, config.get("ranks", [])))))
        local = isinstance(location, Path)
        plan.append(
            StudyInput(
                stem,
                "image",
                stem,
                0,
                ranks,
                None,
                path=location if local else None,
                url=None if local else location,
            )
        )
    for name, spec in config.get("matrices", {}).items():
        count, shape = member_layout(name, spec)
        for index in range(count):
            member_name = name if count == 1 else f"{name}-{index}"
            if member_name in images:
                raise StudySpecError(
                    f"matrices.{name}: input name {member_name!r} is also the stem of "
                    f"{images[member_name]}; rename one"
                )
            ranks = _fit(member_name, spec["ranks"], shape, warn)
            plan.append(
                StudyInput(member_name, spec["family"], name, index, ranks, shape)
            )
    if not plan:
        raise StudySpecError(
            f"nothing to study: no image files in {directory} (config key "
            "images.directory), no images.urls and no entries under the config "
            "key matrices"
        )
    unmatched = sorted(set(config.get("overrides", {})) - {item.set for item in plan})
    if unmatched:
        warn(
            f"overrides: {unmatched} name no image stem in {directory} and no "
            "matrix set, so they apply to nothing",
            SkippedInputWarning,
        )
    for item in plan:
        if not item.ranks:
            warn(f"{item.name}: no rank fits, so it is left out", SkippedInputWarning)
    return [item for item in plan if item.ranks]


def _fit(name, ranks, shape, warn):
    kept = fitted_ranks(ranks, shape)
    if skipped := sorted(set(ranks) - set(kept)):
        warn(skipped_ranks_message(name, shape, skipped), SkippedRankWarning)
    return kept


def skipped_ranks_message(name, shape, skipped):
    """Why ranks ``skipped`` of input ``name`` (``shape``) are left out."""
    return (
        f"{name} ({shape[0]}x{shape[1]}): rank(s) {skipped} skipped, "
        f"ranks must lie in 1..{min(shape) - 1}"
    )
