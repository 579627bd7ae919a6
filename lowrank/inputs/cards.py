"""An input's card: what its prepare job found, where planning can read it.

Planning lists the image folder without decoding a file (:mod:`lowrank.study`),
so a study's plan needs nothing but the standard library. The ``prepare`` job
decodes the input and writes a small JSON card beside its matrix record:

- ``{"shape": [m, n], "limit": L}`` for an input it prepared;
- ``{"skipped": message, "oversize": bool, "limit": L}`` for an image it could
  not read (corrupt, truncated, over the pixel limit, ...). Its matrix and SVD
  records are then empty files, and so is every per-input output after them
  (:func:`is_left_out`, :func:`left_out_reason`); the report names it with the
  message.

``limit`` is the ``images.max_pixels`` the image was read under.

Where a card exists (the study ran before), planning fits the configured ranks
to its shape and sizes jobs by it. A study's first plan has no cards, so it
uses the configured ranks and a size estimated from the file; Snakemake
evaluates a job's params and resources again once its inputs exist, so every
job runs with its card's values and records them for the next plan.
"""

import json
import os
from pathlib import Path

from lowrank.errors import RecordError


def write_card(path, shape=None, skipped=None, oversize=False, limit=None):
    """Write the card of an input prepared at ``shape`` or ``skipped`` with
    that message (``oversize``: refused for its pixel count alone)."""
    card = {"limit": limit}
    if skipped is None:
        card["shape"] = [int(size) for size in shape]
    else:
        card.update(skipped=skipped, oversize=bool(oversize))
    Path(path).write_text(json.dumps(card, sort_keys=True) + "\n")


def read_card(path):
    """The card at ``path``, or None where none is written yet; a damaged
    one is refused (RecordError naming it), as every record is: planning
    from it would size and rank the input's jobs wrongly."""
    try:
        return load_card(path)
    except FileNotFoundError:
        return None


def load_card(path):
    """The card at ``path``, checked; RecordError naming the file if it is
    not one. Planning sizes and ranks jobs from it, so every field is held
    to what ``prepare`` writes: sides and their product within
    :data:`PIXEL_CAP`, a limit of the schema's range or null."""
    try:
        card = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (ValueError, OSError) as error:
        raise RecordError(
            f"{path}: not an input card ({error}); delete it and run again"
        ) from error
    if not (isinstance(card, dict) and (_is_prepared(card) or _is_skipped(card))):
        raise RecordError(
            f"{path}: an input card needs a shape [m, n] within {PIXEL_CAP} pixels "
            "or a message, and a pixel limit; delete it and run again"
        )
    return card


# The largest images.max_pixels the schema admits (twice Pillow's
# decompression-bomb limit): no card of a real input holds more.
PIXEL_CAP = 178_956_970


def _is_prepared(card):
    shape = card.get("shape")
    return (
        set(card) == {"shape", "limit"}
        and _is_limit(card["limit"])
        and isinstance(shape, list)
        and len(shape) == 2
        and all(_is_count(size, PIXEL_CAP) for size in shape)
        and shape[0] * shape[1] <= PIXEL_CAP
    )


def _is_skipped(card):
    return (
        set(card) == {"skipped", "oversize", "limit"}
        and isinstance(card["skipped"], str)
        and isinstance(card["oversize"], bool)
        and _is_limit(card["limit"])
    )


def _is_limit(value):
    return value is None or _is_count(value, PIXEL_CAP)


def _is_count(value, most):
    return type(value) is int and 1 <= value <= most


def card_shape(card):
    """(m, n) of a prepared input's card; None for a skipped one or no card."""
    return tuple(card["shape"]) if card and "shape" in card else None


def fitted_ranks(ranks, shape):
    """The ranks of ``ranks`` that an m x n input has: 1..min(m, n) - 1, since
    min(m, n) and above reproduce it exactly; sorted, each once."""
    limit = min(shape) - 1
    return tuple(sorted({rank for rank in ranks if 1 <= rank <= limit}))


def skip_reason(card, ranks):
    """Why an input's jobs after ``prepare`` write empty outputs, or None:
    its image was skipped, or none of its (fitted) ``ranks`` is left."""
    if "skipped" in card:
        return card["skipped"]
    if not ranks:
        m, n = card["shape"]
        return f"no configured rank fits its {m}x{n} matrix, so it is left out"
    return None


def admission_limit(card, max_pixels):
    """The pixel limit a ``prepare`` job reads its image under: the one it
    was read under before while the current ``max_pixels`` would still admit
    it the same way, else ``max_pixels``. So raising the limit reruns only
    the images it refused for their size, and lowering it only the images it
    no longer admits."""
    if not card or card.get("oversize"):
        return max_pixels
    shape = card_shape(card)
    if shape is None or max_pixels is None or shape[0] * shape[1] <= max_pixels:
        return card.get("limit")
    return max_pixels


def left_out_reason(matrix, ranks):
    """Why a job after ``prepare`` writes empty outputs, or None, from what
    it is given: its ``matrix`` record left empty, or no ``ranks`` left
    (the card, which says more, is read by the report alone, so that
    planning does not name it as an input of every job)."""
    if is_left_out(matrix):
        return "its file could not be read (the report says why)"
    if not ranks:
        return "no configured rank fits its shape"
    return None


def is_left_out(path):
    """True for a per-input output left empty because its input was left out."""
    return os.path.getsize(path) == 0


def kept(paths):
    """Those of an aggregate's per-input ``paths`` whose input was not left
    out."""
    return [path for path in paths if not is_left_out(path)]


def write_left_out(*paths):
    """Leave each output in ``paths`` empty: its input was left out."""
    for path in paths:
        Path(path).write_bytes(b"")
