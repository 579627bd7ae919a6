"""Which code widths the allocated SVD format should try: for an image of a
finished study and several budgets (the equal-rank q8 stream's bits at a
rank), the PSNR-RGB of the allocated stream at every (luma, chroma) pair of
widths from 8 down to 2 bits, best first:

    python bench/allocation_widths.py RESULTS INPUT

Source of the choice of ``lowrank.evaluation.svd_streams.PRECISIONS``
(bench/allocation_widths_2026-12-02.md).
"""

import argparse
from pathlib import Path

import numpy as np

from lowrank.colour import rgb_to_ycbcr, rgb_view
from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation import svd_streams
from lowrank.records import read_matrix

RANKS = (1, 5, 13, 33, 68, 142)
WIDTHS = (8, 7, 6, 5, 4, 3, 2)


def psnr_rgb(ycc, rgb, budget, widths):
    ranks = svd_streams.allocated_ranks(ycc, budget, widths)
    decoded = svd_streams.decode_svd(svd_streams.encode_allocated(ycc, ranks, widths))
    return 10 * np.log10(1 / np.mean((np.clip(decoded, 0, 1) - rgb) ** 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("input")
    args = parser.parse_args()
    item = read_matrix(args.results / "inputs" / f"{args.input}.h5")
    rgb = rgb_view(item.matrix, item.mode)
    ycc = [thin_svd(channel) for channel in rgb_to_ycbcr(rgb)]
    pairs = [(luma, chroma) for luma in WIDTHS for chroma in WIDTHS if chroma <= luma]
    menu = set(svd_streams.PRECISIONS)
    print(f"{args.input}: PSNR-RGB (dB) of the best four pairs (luma, chroma)")
    print("| rank | best four | best of PRECISIONS |")
    print("| ---: | --- | --- |")
    for rank in RANKS:
        budget = 8 * len(svd_streams.encode_svd(ycc, rank, "q8"))
        scores = {p: psnr_rgb(ycc, rgb, budget, (p[0], p[1], p[1])) for p in pairs}
        ranked = sorted(scores, key=scores.get, reverse=True)
        best = " ".join(f"{p[0]}/{p[1]} {scores[p]:.2f}" for p in ranked[:4])
        chosen = max(menu, key=scores.get)
        print(f"| {rank} | {best} | {chosen[0]}/{chosen[1]} {scores[chosen]:.2f} |")


if __name__ == "__main__":
    main()
