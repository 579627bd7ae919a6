"""How much stronger the codec anchors get with settings papers use.

    python bench/anchors.py [--image resources/images/grace_hopper.jpg]
        [--out bench/anchors_<date>.md]

Encodes one image at the study's default qualities with JPEG (standard and
optimised Huffman tables) and AVIF (Pillow's defaults; 4:4:4; tuned for
PSNR; both) and writes the BD-rate over PSNR-RGB of each variant against the
default of its codec, the overlap, and the encoding seconds of the sweep.
"""

import argparse
import datetime
import io
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from lowrank.evaluation.bdrate import bd_figures, common_interval, efficient_points

QUALITIES = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
VARIANTS = {
    # name: (anchor it is weighed against, Pillow format, settings)
    "jpeg": (None, "JPEG", {"optimize": False}),
    "jpeg optimised": ("jpeg", "JPEG", {"optimize": True}),
    "avif": (None, "AVIF", {"speed": 6}),
    "avif 4:4:4": ("avif", "AVIF", {"speed": 6, "subsampling": "4:4:4"}),
    "avif tune=psnr": ("avif", "AVIF", {"speed": 6, "advanced": {"tune": "psnr"}}),
    "avif 4:4:4 tune=psnr": (
        "avif", "AVIF",
        {"speed": 6, "subsampling": "4:4:4", "advanced": {"tune": "psnr"}},
    ),
}  # fmt: skip


ANY = (-math.inf, math.inf)  # the anchor's own quality range


def sweep(picture, fmt, settings):
    reference = np.asarray(picture, dtype=float) / 255
    pixels = reference.shape[0] * reference.shape[1]
    rows = []
    for quality in QUALITIES:
        buffer, start = io.BytesIO(), time.perf_counter()
        picture.save(buffer, format=fmt, quality=quality, **settings)
        seconds = time.perf_counter() - start
        decoded = np.asarray(Image.open(buffer).convert("RGB"), dtype=float) / 255
        error = np.mean((decoded - reference) ** 2)
        rows.append({
            "bpp": 8 * len(buffer.getvalue()) / pixels,
            "psnr": 10 * np.log10(1 / error), "seconds": seconds,
        })  # fmt: skip
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--image", type=Path, default=Path("resources/images/grace_hopper.jpg")
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    picture = Image.open(args.image).convert("RGB")
    curves, lines = {}, []
    for name, (anchor, fmt, settings) in VARIANTS.items():
        curves[name] = sweep(picture, fmt, settings)
        seconds = curves[name]["seconds"].sum()
        if anchor is None:
            lines.append(f"| {name} | - | - | {seconds:.2f} |")
            continue
        reference = efficient_points(curves[anchor])
        figures = bd_figures(
            reference, efficient_points(curves[name]), common_interval([reference], ANY)
        )
        lines.append(
            f"| {name} | {figures['bd_rate_percent']:.1f} | {figures['overlap']:.2f} "
            f"| {seconds:.2f} |"
        )
    today = datetime.date.today().isoformat()
    text = "\n".join([
        f"# Codec anchors on {args.image.name} ({today}, `python bench/anchors.py`)",
        "",
        "BD-rate over PSNR-RGB against the same codec's first row, qualities "
        f"{QUALITIES[0]}-{QUALITIES[-1]}; one sweep each (Pillow's encoder threads).",
        "",
        "| variant | BD-rate % | overlap | encoding s |",
        "| --- | ---: | ---: | ---: |",
        *lines,
    ]) + "\n"  # fmt: skip
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
