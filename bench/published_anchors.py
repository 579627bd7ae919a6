"""Does the harness measure what the field measures? BD-rates of the
anchors against JPEG on the photo study beside the same figures computed,
by the same code, from published rate-distortion points.

    python bench/published_anchors.py RESULTS > bench/published_anchors_DATE.md

The published points are CompressAI's Kodak results (InterDigitalInc/
CompressAI, results/image/kodak/*.json at the commits that
bench/compressai_kodak_rd.csv names): per codec and quality setting the mean
bits per pixel and PSNR over the 24 Kodak images (768 x 512), which papers
on learned image coding draw their anchor curves from. Their BD-rates
against their JPEG are taken here over one PSNR interval for every codec
(the study's default, clipped to what every published curve reaches), as
lowrank.evaluation.bdrate does per image; the study's figures are the
geometric means over its photos with their bootstrap intervals
(RESULTS/rate_distortion/bd_rates_aggregate.csv).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lowrank.evaluation.bdrate import QUALITY_INTERVALS, bd_figures, common_interval
from lowrank.evaluation.codecs import ANCHORS

PUBLISHED = Path(__file__).with_name("compressai_kodak_rd.csv")
# Published codec -> the study's anchor that codes the same format.
COUNTERPARTS = {
    "webp": "webp",
    "jpeg2000": "jpeg2000",
    "bpg-444 (HEVC, x265)": "hevc-444",
    "av1": "avif-444-psnr",
}


def published_figures(points, interval):
    curves = {
        codec: (rows["bpp"].to_numpy(float), rows["psnr_rgb"].to_numpy(float))
        for codec, rows in points.groupby("codec")
    }
    curves = {
        codec: (bpp[np.argsort(bpp)], psnr[np.argsort(bpp)])
        for codec, (bpp, psnr) in curves.items()
    }
    common = common_interval(list(curves.values()), interval)
    figures = {
        codec: bd_figures(curves["jpeg"], curves[codec], common)["bd_rate_percent"]
        for codec in COUNTERPARTS
    }
    return figures, common


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    points = pd.read_csv(PUBLISHED)
    figures, common = published_figures(points, QUALITY_INTERVALS["psnr"])
    ours = pd.read_csv(args.results / "rate_distortion" / "bd_rates_aggregate.csv")
    ours = ours[(ours["anchor"] == "jpeg") & (ours["metric"] == "psnr")]
    ours = ours.set_index("test")
    print(f"# Anchors against JPEG, published and measured ({' '.join(sys.argv)})\n")
    print(
        f"PSNR-RGB BD-rate against JPEG (%). CompressAI's Kodak curves over "
        f"{common[0]:.2f}-{common[1]:.2f} dB (the study's interval, clipped to "
        "every published curve); the study's geometric mean over its photos "
        "with its bootstrap 95 % interval.\n"
    )
    print(
        "| published codec | CompressAI, Kodak | study's anchor | study, photos "
        "| interval |"
    )
    print("| --- | ---: | --- | ---: | --- |")
    for codec, anchor in COUNTERPARTS.items():
        row = ours.loc[anchor] if anchor in ours.index else None
        measured = (
            f"{row['geometric_mean_percent']:.1f} | "
            f"{row['geometric_mean_low']:.1f} to {row['geometric_mean_high']:.1f}"
            if row is not None
            else "- | -"
        )
        print(f"| {codec} | {figures[codec]:.1f} | {anchor} | {measured} |")
    print("\nThe study's other anchors against its JPEG (no published counterpart):\n")
    print("| study's anchor | study, photos | interval | images |")
    print("| --- | ---: | --- | ---: |")
    for anchor, row in ours.iterrows():
        if anchor in ANCHORS and anchor not in COUNTERPARTS.values():
            print(
                f"| {anchor} | {row['geometric_mean_percent']:.1f} | "
                f"{row['geometric_mean_low']:.1f} to {row['geometric_mean_high']:.1f} "
                f"| {row['images']} |"
            )


if __name__ == "__main__":
    main()
