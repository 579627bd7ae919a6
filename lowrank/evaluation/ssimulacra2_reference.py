"""SSIMULACRA2 of many reconstructions of one original, computed by the
``ssimulacra2`` package's own steps with the original's half done once.

The package's ``compute_ssimulacra2(original, distorted)`` converts both
images to XYB and filters both at each of six scales for every call; the
original's XYB pyramid, its blurred mean and its blurred square are the
same for every point of a rate-distortion curve. :class:`SSIMULACRA2Reference`
keeps them and runs, per reconstruction, the rest of the package's loop
with the package's functions (conversion, blur, SSIM and edge maps, the
weighted score), so the score is the package's: a test compares it with
``compute_ssimulacra2`` on the same pictures.
"""

import numpy as np
from ssimulacra2 import ssimulacra2 as package

from lowrank.colour import eight_bit_image


class SSIMULACRA2Reference:
    """The package's score of reconstructions (c, m, n) in [0, 1] against
    ``original``, each shown as the 8-bit RGB picture a display shows."""

    def __init__(self, original):
        linear = _linear(original)
        self.scales = []
        for scale in range(package.kNumScales):
            xyb = _positive_xyb(linear)
            if min(xyb.shape[:2]) < 8:
                break
            self.scales.append((xyb, package.blur_image(xyb),
                                package.blur_image(xyb * xyb)))  # fmt: skip
            if scale < package.kNumScales - 1:
                linear = package.downsample(linear, 2, 2)

    def __call__(self, reconstruction):
        linear = _linear(reconstruction)
        score = package.Msssim()
        for scale, (xyb1, mu1, sigma11) in enumerate(self.scales):
            if scale:
                linear = package.downsample(linear, 2, 2)
            xyb2 = _positive_xyb(linear)
            mu2 = package.blur_image(xyb2)
            sigma22 = package.blur_image(xyb2 * xyb2)
            sigma12 = package.blur_image(xyb1 * xyb2)
            maps = package.MsssimScale()
            maps.avg_ssim = package.ssim_map(mu1, mu2, sigma11, sigma22, sigma12)
            maps.avg_edgediff = package.edge_diff_map(xyb1, mu1, xyb2, mu2)
            score.scales.append(maps)
        return float(score.score())


def _linear(stack):
    rgb = eight_bit_image(stack).convert("RGB")  # clipped there
    return package.srgb_to_linear(np.asarray(rgb, dtype=np.float64))


def _positive_xyb(linear):
    return package.make_positive_xyb(package.linear_rgb_to_xyb(linear))
