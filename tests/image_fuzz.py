"""A seeded corpus of damaged image files: small valid files of each format
the study reads, mutated as a fuzzer would (bytes flipped, mostly in the
header; cut short; bytes inserted; a run repeated; for TIFF, the type, count
or value of its directory's entries, where Pillow raised TypeError)."""

import io
import struct

import numpy as np
from PIL import Image

FORMATS = {
    "png": {"format": "PNG"},
    "jpg": {"format": "JPEG", "quality": 80},
    "tif": {"format": "TIFF"},
    "gif": {"format": "GIF"},
    "webp": {"format": "WEBP", "quality": 80},
    "bmp": {"format": "BMP"},
}


def seed_files(rng):
    """One small valid file of each format, as {suffix: bytes}."""
    pixels = rng.integers(0, 256, size=(12, 10, 3), dtype=np.uint8)
    files = {}
    for suffix, options in FORMATS.items():
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, **options)
        files[suffix] = buffer.getvalue()
    return files


def mutate(data, rng):
    """One damaged copy of ``data``."""
    data = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:  # flips, three in four within the first 64 bytes
        for _ in range(rng.integers(1, 6)):
            end = 64 if rng.random() < 0.75 else len(data)
            data[rng.integers(min(end, len(data)))] = rng.integers(256)
    elif kind == 1:  # cut short
        data = data[: rng.integers(1, len(data))]
    elif kind == 2:  # bytes inserted
        at = rng.integers(len(data))
        data[at:at] = rng.integers(
            0, 256, rng.integers(1, 16), dtype=np.uint8
        ).tobytes()
    else:  # a run repeated
        at = rng.integers(len(data))
        data[at:at] = data[at : at + rng.integers(1, 64)] * int(rng.integers(2, 8))
    return bytes(data)


def mutate_tiff_directory(data, rng):
    """``data`` (a little-endian TIFF) with one to three of its first
    directory's entries given another type, count or value."""
    data = bytearray(data)
    offset = struct.unpack("<I", data[4:8])[0]
    (entries,) = struct.unpack("<H", data[offset : offset + 2])
    for _ in range(rng.integers(1, 4)):
        entry = offset + 2 + 12 * int(rng.integers(entries))
        field = rng.integers(3)
        if field == 0:
            data[entry + 2 : entry + 4] = struct.pack("<H", rng.integers(20))
        elif field == 1:
            count = int(rng.choice([0, 1, 2, 3, 4, 255, 65536]))
            data[entry + 4 : entry + 8] = struct.pack("<I", count)
        else:
            data[entry + 8 : entry + 12] = rng.integers(0, 256, 4, np.uint8).tobytes()
    return bytes(data)


def write_corpus(folder, count_per_format, seed=0):
    """Write ``count_per_format`` damaged files of each format into
    ``folder``; return their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for suffix, data in seed_files(rng).items():
        for index in range(count_per_format):
            path = folder / f"{suffix}-{index:03d}.{suffix}"
            tags = suffix == "tif" and index % 2
            path.write_bytes((mutate_tiff_directory if tags else mutate)(data, rng))
            paths.append(path)
    return paths
