"""SSIMULACRA2 of many reconstructions of one original, computed by the
``ssimulacra2`` package's own steps with the original's half done once.

The package's ``compute_ssimulacra2(original, distorted)`` converts both
images to XYB and filters both at each of six scales for every call; the
original's XYB pyramid, its blurred mean and variance and its edge
strength are the same for every point of a rate-distortion curve.
:class:`SSIMULACRA2Reference` keeps them and runs, per reconstruction, the
rest of the package's loop: its XYB conversion, downsampling, blur and
score functions, its sRGB curve as a table of the 256 levels, and its SSIM
and edge maps rewritten only to take the original's terms ready-made and
to reuse their buffers. Each value is the
same floating-point operation on the same operands as in the package, so
the score is the package's to the last bit: a test compares it with
``compute_ssimulacra2`` on the same pictures.
"""

import numpy as np
from ssimulacra2 import ssimulacra2 as package

from lowrank.colour import eight_bit_codes

# sRGB to linear of every 8-bit level, by the package's formula: a picture's
# conversion is a look-up instead of a power per pixel.
LINEAR_LEVELS = package.srgb_to_linear(np.arange(256, dtype=np.float64))


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
            self.scales.append(_OriginalScale(xyb))
            if scale < package.kNumScales - 1:
                linear = package.downsample(linear, 2, 2)

    def __call__(self, reconstruction):
        linear = _linear(reconstruction)
        score = package.Msssim()
        for scale, original in enumerate(self.scales):
            if scale:
                linear = package.downsample(linear, 2, 2)
            xyb = _positive_xyb(linear)
            mean = package.blur_image(xyb)
            maps = package.MsssimScale()
            maps.avg_ssim = original.ssim_averages(
                mean,
                package.blur_image(xyb * xyb),
                package.blur_image(original.xyb * xyb),
            )
            maps.avg_edgediff = original.edge_averages(xyb, mean)
            score.scales.append(maps)
        return float(score.score())


class _OriginalScale:
    """The original's terms of the package's ``ssim_map`` and
    ``edge_diff_map`` at one scale."""

    def __init__(self, xyb):
        self.xyb = xyb
        self.mean = package.blur_image(xyb)
        # (s11 - m11) and (1.0 + |img1 - mu1|) of the package's maps.
        self.variance = package.blur_image(xyb * xyb) - self.mean * self.mean
        self.edges = 1.0 + np.abs(xyb - self.mean)

    def ssim_averages(self, mean, square, product):
        """The package's ``ssim_map(mu1, mu2, s11, s22, s12)``; overwrites
        ``square`` and ``product``."""
        # 1 - (m1 - m2)^2
        difference = self.mean - mean
        np.multiply(difference, difference, out=difference)
        np.subtract(1.0, difference, out=difference)
        # 2 (s12 - m1 m2) + C2
        means = self.mean * mean
        np.subtract(product, means, out=product)
        np.multiply(2.0, product, out=product)
        np.add(product, package.kC2, out=product)
        # (s11 - m11) + (s22 - m22) + C2
        np.multiply(mean, mean, out=means)
        np.subtract(square, means, out=square)
        np.add(self.variance, square, out=square)
        np.add(square, package.kC2, out=square)
        # max(1 - num_m num_s / denom_s, 0)
        np.multiply(difference, product, out=difference)
        np.divide(difference, square, out=difference)
        np.subtract(1.0, difference, out=difference)
        np.maximum(difference, 0.0, out=difference)
        averages = np.zeros(6)
        averages[::2] = difference.mean((0, 1))
        averages[1::2] = _fourth_power_means(difference) ** 0.25
        return averages

    def edge_averages(self, xyb, mean):
        """The package's ``edge_diff_map(img1, mu1, img2, mu2)``."""
        ratio = xyb - mean
        np.abs(ratio, out=ratio)
        np.add(1.0, ratio, out=ratio)
        np.divide(ratio, self.edges, out=ratio)
        np.subtract(ratio, 1.0, out=ratio)
        averages = np.zeros(12)
        artifact = np.maximum(ratio, 0.0)
        averages[::4] = artifact.mean((0, 1))
        averages[1::4] = _fourth_power_means(artifact) ** 0.25
        detail_lost = np.negative(ratio, out=ratio)
        np.maximum(detail_lost, 0.0, out=detail_lost)
        averages[2::4] = detail_lost.mean((0, 1))
        averages[3::4] = _fourth_power_means(detail_lost) ** 0.25
        return averages


def _fourth_power_means(values):
    """Per plane, the mean of ``values`` to the fourth, as (v v)(v v);
    overwrites ``values``."""
    np.multiply(values, values, out=values)
    np.multiply(values, values, out=values)
    return values.mean((0, 1))


def _linear(stack):
    """Linear RGB (m, n, 3) of the 8-bit picture of a gray or RGB stack."""
    codes = eight_bit_codes(stack)
    if codes.shape[0] == 1:
        codes = np.repeat(codes, 3, axis=0)  # gray shown as RGB
    # Laid out as the package reads a picture: the sums of its means follow
    # the memory order.
    return LINEAR_LEVELS[np.ascontiguousarray(np.moveaxis(codes, 0, -1))]


def _positive_xyb(linear):
    return package.make_positive_xyb(package.linear_rgb_to_xyb(linear))
