"""BD-rate (PSNR-RGB) of the block low-rank codec's settings against JPEG, on
the photographs of a folder:

    python bench/block_codec.py resources/photos > bench/block_codec_<date>.md

Each setting (block side, chroma subsampling and step ratio, dead zone,
basis grid) is swept over luma steps; JPEG is libjpeg-turbo through Pillow
with optimised Huffman tables and 4:2:0 (the study's ``jpeg``), qualities
5 to 95. PSNR is over the RGB values of the decoded picture, rounded to 8
bits as a file would hold it. BD-rate: lowrank.evaluation.bdrate (PCHIP).
"""

import io
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from lowrank.evaluation import block_streams
from lowrank.evaluation.bdrate import bd_figures, common_interval, efficient_points
from lowrank.evaluation.block_streams import (
    DEAD_ZONE,
    BlockCodec,
    decode_blocks,
    encode_blocks,
)

STEPS = BlockCodec.steps
QUALITIES = range(5, 100, 10)
ANY = (-math.inf, math.inf)  # the anchor's own quality range
# Each setting's options of encode_blocks; "dead_zone" sets the module's
# rounding offset; "basis_bits" "rule" is BlockCodec's (6 below step 5, else 5).
SETTINGS = {
    "klt (b8 444 r1.0 dz0.4 basis rule)": {"basis_bits": "rule"},
    "b8 444 r1.0 dz0.4 basis5": {"basis_bits": 5},
    "b8 444 r1.0 dz0.4 basis6": {"basis_bits": 6},
    "b8 444 r1.0 dz0.4 basis7": {"basis_bits": 7},
    "b8 444 r1.0 dz0.4 basis8": {"basis_bits": 8},
    "b8 444 r1.25 dz0.4 basis5": {"basis_bits": 5, "chroma_ratio": 1.25},
    "b8 444 r1.5 dz0.4 basis5": {"basis_bits": 5, "chroma_ratio": 1.5},
    "b8 420 r1.0 dz0.4 basis5": {"basis_bits": 5, "subsampling": "4:2:0"},
    "b8 420 r1.5 dz0.4 basis5": {"basis_bits": 5, "subsampling": "4:2:0",
                                 "chroma_ratio": 1.5},
    "b8 444 r1.0 dz1/3 basis5": {"basis_bits": 5, "dead_zone": 1 / 3},
    "b8 444 r1.0 dz0.45 basis5": {"basis_bits": 5, "dead_zone": 0.45},
    "b4 444 r1.0 dz0.4 basis5": {"basis_bits": 5, "block": 4},
    "b16 444 r1.0 dz0.4 basis5": {"basis_bits": 5, "block": 16},
}  # fmt: skip


def psnr(picture, decoded):
    codes = np.round(np.clip(decoded, 0, 1) * 255)
    error = np.mean((codes - np.round(picture * 255)) ** 2)
    return 10 * np.log10(255**2 / error)


def jpeg_curve(picture):
    image = Image.fromarray(
        np.round(np.moveaxis(picture, 0, -1) * 255).astype(np.uint8)
    )
    rows = []
    for quality in QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, subsampling="4:2:0")
        decoded = np.asarray(Image.open(buffer).convert("RGB"), np.float64) / 255
        rows.append((8 * buffer.tell() / picture[0].size,
                     psnr(picture, np.moveaxis(decoded, -1, 0))))  # fmt: skip
    return rows


def block_curve(picture, settings):
    settings = dict(settings)
    block_streams.DEAD_ZONE = settings.pop("dead_zone", DEAD_ZONE)
    rule = settings.get("basis_bits") == "rule"
    rows = []
    for step in STEPS:
        if rule:
            settings["basis_bits"] = 6 if step < 5 else 5
        data = encode_blocks(picture, step, **settings)
        rows.append(
            (8 * len(data) / picture[0].size, psnr(picture, decode_blocks(data)))
        )
    block_streams.DEAD_ZONE = DEAD_ZONE
    return rows


def curve(rows):
    frame = pd.DataFrame(rows, columns=["bpp", "psnr"])
    return efficient_points(frame, "psnr")


def main():
    photos = sorted(Path(sys.argv[1]).glob("*.png"))
    results, seconds = {}, {}
    for path in photos:
        rgb = np.asarray(Image.open(path).convert("RGB"), np.float64) / 255
        picture = np.moveaxis(rgb, -1, 0)
        anchor = curve(jpeg_curve(picture))
        for name, settings in SETTINGS.items():
            start = time.perf_counter()
            test = curve(block_curve(picture, settings))
            seconds[name] = seconds.get(name, 0) + time.perf_counter() - start
            figures = bd_figures(anchor, test, common_interval([anchor], ANY))
            results[(name, path.stem)] = (
                figures["bd_rate_percent"],
                figures["overlap"],
            )
    title = "Block low-rank codec against JPEG (PSNR-RGB BD-rate, %)"
    print(f"# {title}, {len(photos)} photos\n")
    print("| setting | " + " | ".join(p.stem for p in photos)
          + " | geometric mean | min overlap | seconds (all photos) |")  # fmt: skip
    print("|---" * (len(photos) + 4) + "|")
    for name in SETTINGS:
        rates = [results[(name, p.stem)][0] for p in photos]
        overlaps = [results[(name, p.stem)][1] for p in photos]
        mean = 100 * (np.exp(np.mean(np.log1p(np.array(rates) / 100))) - 1)
        cells = " | ".join(f"{r:+.1f}" for r in rates)
        low = min(overlaps)
        print(f"| {name} | {cells} | {mean:+.1f} | {low:.2f} | {seconds[name]:.1f} |")


if __name__ == "__main__":
    main()
