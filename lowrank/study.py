"""Which inputs a study has and at which ranks: the workflow's plan.

Images are discovered in a folder (one input per file stem) and decoded once
to check them; an image that cannot be read (corrupt, truncated, empty, over
the pixel limit) is skipped with a warning naming the file and the reason, so
the rest of the study runs. Study matrices come from the config's ``matrices``
section, one input per member. A rank outside 1..min(m, n) - 1 for an input is
skipped with a warning that names the input and its shape, since min(m, n) and
above reproduce the input exactly.
"""

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from lowrank.errors import InputFileError, StudySpecError
from lowrank.inputs.images import is_image_path, load_image
from lowrank.inputs.matrices import member_layout

# Image stems that would claim a study-wide output beside the per-image ones
# (results/rate_distortion/bd_rates.csv and set_curves.csv).
RESERVED_STEMS = ("bd_rates", "set_curves")


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
    of a random matrix set; ``path`` is the image file (None for matrices);
    ``shape`` is (rows, cols).
    """

    name: str
    kind: str
    set: str
    member: int
    ranks: tuple
    shape: tuple
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


def check_images(paths, max_pixels=None, cache_path=None):
    """Decode every image once; return (shapes, errors) keyed like ``paths``.

    Parameters
    ----------
    paths : mapping of name -> Path
    max_pixels : int or None
        Pixel limit passed to :func:`lowrank.inputs.images.load_image`.
    cache_path : Path or None
        JSON file remembering each file's verdict by size and modification
        time, so that a workflow rerun does not decode unchanged images again.

    Returns
    -------
    shapes : dict name -> (rows, cols) of the readable images
    errors : dict name -> message (naming the file) of the others
    """
    cache = _read_cache(cache_path)
    shapes, errors = {}, {}
    for name, path in paths.items():
        stat = os.stat(path)
        key = f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{max_pixels}"
        if key not in cache:
            try:
                cache[key] = {
                    "shape": list(load_image(path, max_pixels=max_pixels).shape[1:])
                }
            except InputFileError as error:
                cache[key] = {"error": str(error)}
        if "shape" in cache[key]:
            shapes[name] = tuple(cache[key]["shape"])
        else:
            errors[name] = cache[key]["error"]
    _write_cache(cache_path, cache)
    return shapes, errors


def _read_cache(path):
    try:
        return json.loads(Path(path).read_text()) if path else {}
    except (OSError, ValueError):
        return {}


def _write_cache(path, cache):
    """Keep the verdicts for the next plan, if the disk lets us: the cache
    saves decoding time only, so a full disk costs that and nothing else."""
    if not path:
        return
    path = Path(path)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(cache, indent=0, sort_keys=True))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def plan_study(config, cache_path=None, warn=warnings.warn):
    """Return the list of :class:`StudyInput` a validated config asks for.

    ``cache_path`` is passed to :func:`check_images`. Skipped images and ranks
    are announced through ``warn(message, category)``, by default
    :func:`warnings.warn`.
    """
    image_config = config.get("images", {})
    directory = image_config.get("directory", "resources/images")
    max_pixels = image_config.get("max_pixels")
    overrides = config.get("rank_overrides", {})
    images = discover_images(directory)
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
    shapes, errors = check_images(images, max_pixels, cache_path)
    for message in errors.values():
        warn(f"skipped: {message}", SkippedInputWarning)
    plan = []
    for stem, shape in shapes.items():
        ranks = _fit(stem, overrides.get(stem, config.get("ranks", [])), shape, warn)
        plan.append(StudyInput(stem, "image", stem, 0, ranks, shape, images[stem]))
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
            "images.directory) and no entries under the config key matrices"
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
    limit = min(shape) - 1
    kept = tuple(sorted({rank for rank in ranks if 1 <= rank <= limit}))
    skipped = sorted(set(ranks) - set(kept))
    if skipped:
        warn(
            f"{name} ({shape[0]}x{shape[1]}): rank(s) {skipped} skipped, "
            f"ranks must lie in 1..{limit}",
            SkippedRankWarning,
        )
    return kept
