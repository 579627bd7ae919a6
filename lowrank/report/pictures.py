"""The pictures of an input and its approximations, drawn with Pillow: the
report viewer's full-resolution views and the per-rank panels."""

import csv
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lowrank.inputs.layouts import shown_picture
from lowrank.methods import compared_methods

# The longer side of a panel's tile; small matrices are enlarged by whole
# pixels so that every entry stays a visible square.
TILE = 256
TITLE_HEIGHT = 40
COLUMN_WIDTH = 250
# zlib level 3 instead of Pillow's 6: half the encoding time of a 512x512
# view for files about 10 % larger (bench/study_costs_2026-12-02.md).
PNG_OPTIONS = {"compress_level": 3}
# Data this module reads: part of its code digest (lowrank.provenance).
SOURCE_DATA = ("../data/viridis.csv",)


def _viridis():
    """Matplotlib's viridis colour map (CC0), 256 8-bit colours."""
    with resources.files("lowrank").joinpath("data/viridis.csv").open() as table:
        rows = list(csv.reader(table))[1:]
    return np.array(rows, dtype=np.uint8)


VIRIDIS = _viridis()


def original_view(item, folder):
    """The original as the viewer's ``original.png`` (:func:`approximation_views`)."""
    return [_save_view(item, item.matrix, Path(folder) / "original.png")]


def approximation_views(item, records, folder):
    """Full-resolution PNGs for the report's viewer, pixel for pixel:
    ``<method>-rank<k>.png`` per record (and :func:`original_view`). Images
    keep their gray or RGB values; matrices are coloured on the original's
    scale, as in :func:`approximation_panels`. ``records`` maps method ->
    record.
    """
    return [
        _save_view(item, record.approximation,
                   Path(folder) / f"{method}-rank{record.rank}.png")
        for method, record in records.items()
    ]  # fmt: skip


def _scale(item):
    return float(np.min(item.matrix)), float(np.max(item.matrix))


def _save_view(item, stack, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_pixels(item, stack, *_scale(item))).save(path, **PNG_OPTIONS)
    return path


def _pixels(item, stack, low, high):
    return view_pixels(shown_picture(item, stack), item.kind, low, high)


def view_pixels(stack, kind, low, high):
    """8-bit pixels of a (c, m, n) stack: gray or RGB for an image, viridis
    on [low, high] for a matrix; NaN (a diverged network) is black for an
    image and the low end for a matrix."""
    if kind == "image":
        stack = np.clip(np.nan_to_num(stack), 0.0, 1.0)
        shown = np.moveaxis(stack, 0, -1) if stack.shape[0] == 3 else stack[0]
        return np.round(255 * shown).astype(np.uint8)
    span = (high - low) or 1.0
    level = np.clip((np.nan_to_num(stack[0], nan=low) - low) / span, 0.0, 1.0)
    # Matplotlib's lookup: level 1.0 takes the last colour.
    return VIRIDIS[np.minimum((level * len(VIRIDIS)).astype(int), len(VIRIDIS) - 1)]


def approximation_panels(item, records, measures, path):
    """Original | SVD | NN per regime on one colour scale, errors above each.

    ``records`` maps method -> :class:`lowrank.records.Record`; ``measures``
    is their evaluation rows (a DataFrame indexed by method). Writes the
    PNG ``path``; returns ``[path]``.
    """
    methods = [m for m in compared_methods() if m in records]
    low, high = _scale(item)
    tiles = [(
        f"original {item.input}",
        f"{item.matrix.shape[1]}x{item.matrix.shape[2]}",
        item.matrix,
    )]  # fmt: skip
    for method in methods:
        record, row = records[method], measures.loc[method]
        outcome = (
            f"2-norm {row['rel_err_2']:.4g}, Frob. {row['rel_err_fro']:.4g}"
            if record.status == "ok"
            else record.status
        )
        tiles.append((f"{method}, rank {record.rank}", outcome, record.approximation))
    pictures = [_tile(_pixels(item, stack, low, high)) for *_, stack in tiles]
    width = max(COLUMN_WIDTH, max(p.width for p in pictures) + 10)
    height = TITLE_HEIGHT + max(p.height for p in pictures) + 10
    canvas = Image.new("RGB", (width * len(tiles), height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=12)
    for column, ((title, subtitle, _), picture) in enumerate(zip(tiles, pictures)):
        centre = column * width + width // 2
        draw.text((centre, 6), title, fill="black", font=font, anchor="mt")
        draw.text((centre, 22), subtitle, fill="black", font=font, anchor="mt")
        canvas.paste(
            picture.convert("RGB"), (centre - picture.width // 2, TITLE_HEIGHT)
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, **PNG_OPTIONS)
    return [path]


def _tile(pixels):
    """A picture whose longer side is about :data:`TILE` pixels."""
    picture = Image.fromarray(pixels)
    longer = max(picture.size)
    if longer <= TILE:
        factor = TILE // longer
        return picture.resize(
            (picture.width * factor, picture.height * factor), Image.Resampling.NEAREST
        )
    size = (round(picture.width * TILE / longer), round(picture.height * TILE / longer))
    return picture.resize(size, Image.Resampling.BOX)
