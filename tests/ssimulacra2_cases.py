"""The synthetic image pairs whose SSIMULACRA2 scores by the C++ tool are in
``tests/data/ssimulacra2_cpp_reference.csv``: 8-bit RGB pictures (h, w, 3)
built from a case's name, checked against the SHA-256 of the raw RGB bytes
recorded beside each score.

The scores and hashes were captured from libjxl's ``ssimulacra2`` tool by the
Rust crate ssimulacra2 (github.com/imazen/ssimulacra2, file
``ssimulacra2/src/reference_data.rs``, 2026-01-04); the pictures are
described there (uniform grey 128 and shifted by s, horizontal and vertical
ramps, checkerboards, a 64-bit linear congruential generator's noise, a
vertical edge), and built here from that description.
"""

import csv
import hashlib
import re
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).with_name("data") / "ssimulacra2_cpp_reference.csv"
GREY = 128


def reference_cases():
    """The rows of the reference table, scores as floats."""
    with REFERENCE.open() as table:
        rows = list(csv.DictReader(table))
    for row in rows:
        row["width"], row["height"] = int(row["width"]), int(row["height"])
        row["cpp_score"] = float(row["cpp_score"])
    return rows


def pictures(name, width, height):
    """(source, distorted) of the case ``name``."""
    kind = re.sub(r"_\d+x\d+$", "", name)
    if kind == "gradient_vs_uniform":
        return gradient(width, height, "h"), uniform(width, height, GREY)
    if kind == "noise_vs_uniform":
        return noise(width, height, 42), uniform(width, height, GREY)
    if kind.startswith("uniform_shift_"):
        shift = int(kind.removeprefix("uniform_shift_"))
        return uniform(width, height, GREY), uniform(width, height, GREY + shift)
    source = {
        "perfect_match": lambda: uniform(width, height, GREY),
        "gradient_h": lambda: gradient(width, height, "h"),
        "gradient_v": lambda: gradient(width, height, "v"),
        "edge_vertical": lambda: edge(width, height),
    }.get(kind) or _patterned(kind, width, height)
    picture = source()
    return picture, picture


def _patterned(kind, width, height):
    pattern, number = kind.rsplit("_", 1)
    if pattern == "checkerboard":
        return lambda: checkerboard(width, height, int(number))
    if pattern == "noise_seed":
        return lambda: noise(width, height, int(number))
    raise ValueError(f"unknown SSIMULACRA2 reference case {kind!r}")


def sha256(picture):
    return hashlib.sha256(np.ascontiguousarray(picture).tobytes()).hexdigest()


def _grey(levels):
    return np.repeat(levels[..., np.newaxis], 3, axis=-1).astype(np.uint8)


def uniform(width, height, level):
    return _grey(np.full((height, width), level))


def gradient(width, height, direction):
    """A ramp from 0 to 255 along x ("h") or y ("v"), integer steps."""
    across = width if direction == "h" else height
    ramp = np.arange(across) * 255 // (across - 1)
    levels = np.broadcast_to(ramp, (height, width)) if direction == "h" else (
        np.broadcast_to(ramp[:, np.newaxis], (height, width))
    )  # fmt: skip
    return _grey(levels)


def checkerboard(width, height, cell):
    rows, columns = np.mgrid[0:height, 0:width]
    return _grey(np.where((rows // cell + columns // cell) % 2 == 0, 255, 0))


def edge(width, height):
    """Black left half, white right half."""
    half = np.where(np.arange(width) < width // 2, 0, 255)
    return _grey(np.broadcast_to(half, (height, width)))


def noise(width, height, seed):
    """Bytes 33-40 of each state of the LCG x -> 6364136223846793005 x +
    1442695040888963407 (mod 2^64) started at ``seed``, filling R, G, B of
    each pixel in turn."""
    state, values = seed, bytearray(width * height * 3)
    for index in range(len(values)):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        values[index] = (state >> 33) & 0xFF
    return np.frombuffer(bytes(values), np.uint8).reshape(height, width, 3)
