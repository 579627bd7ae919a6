"""What each quality measure and codec costs per rate-distortion point.

    python bench/quality_cost.py [MATRIX_H5] [--repeats 5]

On a study's input matrix (default: the default study's grace_hopper, in
colour when the study was), the median wall time of one call, in one thread
(``OMP_NUM_THREADS=1`` recommended), of each measure on a JPEG point and of
each codec's encode and decode.
"""

import argparse
import statistics
import time

from lowrank.colour import rgb_view
from lowrank.evaluation.codecs import IMAGE_CODECS, image_codec
from lowrank.evaluation.image_quality import (
    MSSSIMReference,
    QualityReference,
    ssimulacra2,
)
from lowrank.evaluation.metrics import SSIMReference, psnr
from lowrank.evaluation.ssimulacra2_reference import SSIMULACRA2Reference
from lowrank.records import read_matrix


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("matrix", nargs="?", default="results/inputs/grace_hopper.h5")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    item = read_matrix(args.matrix)
    image = rgb_view(item.matrix, item.mode)
    point, _ = image_codec(image, "jpeg", 50)
    ssimulacra2(image, point)  # the package's import, once
    ssim, ms_ssim, s2, every = (
        SSIMReference(image), MSSSIMReference(image),
        SSIMULACRA2Reference(image), QualityReference(image),
    )  # fmt: skip
    costs = {
        "PSNR": lambda: psnr(image, point),
        "SSIM (reference kept)": lambda: ssim(point),
        "MS-SSIM (reference kept)": lambda: ms_ssim(point),
        "SSIMULACRA2 (the package)": lambda: ssimulacra2(image, point),
        "SSIMULACRA2 (original's half kept)": lambda: s2(point),
        "all five measures": lambda: every(point),
        **{
            f"{codec} encode and decode, quality 50": (
                lambda codec=codec: image_codec(image, codec, 50)
            )
            for codec in IMAGE_CODECS
        },
    }
    print(f"| per point, {image.shape} | median s |")
    print("| --- | ---: |")
    for name, function in costs.items():
        print(f"| {name} | {median_seconds(function, args.repeats):.3f} |")


if __name__ == "__main__":
    main()
