"""The image-quality measures of a codec point: PSNR over RGB and on luma,
SSIM, MS-SSIM and SSIMULACRA2.

- **PSNR-RGB** is the mean squared error over every channel and pixel (what
  CompressAI reports as ``psnr-rgb``), **PSNR-Y** that of BT.601 luma; both
  of the reconstruction clipped to [0, 1], as a display shows it.
- **SSIM** is :class:`lowrank.evaluation.metrics.SSIMReference`'s,
  averaged over channels; where MS-SSIM is defined, from MS-SSIM's finest
  scale, which filters the same windows.
- **MS-SSIM** (Wang, Simoncelli & Bovik 2003) follows the reference
  implementation's conventions, as TensorFlow's ``tf.image.ssim_multiscale``
  does: an 11 x 11 Gaussian window (sigma 1.5) applied without padding, five
  scales with the published weights, 2 x 2 average pooling between them (an
  odd side padded by its mirror image first), contrast-structure at every
  scale and luminance at the last, negative terms clipped to zero, channels
  averaged. ``tests/data/ms_ssim_reference.csv`` holds TensorFlow's values,
  which a test compares with these. Five scales need 176 pixels on a side.
- **SSIMULACRA2** is the ``ssimulacra2`` package's score (not ours) of the
  8-bit pictures: :func:`ssimulacra2` hands the package PNGs in memory, as
  its command line reads files; a curve's points go through
  :class:`lowrank.evaluation.ssimulacra2_reference.SSIMULACRA2Reference`,
  the package's steps with the original's half done once (the same score,
  in about half the time). It needs 8 pixels on a side.

A measure that is undefined for a small image is NaN, with an
:class:`lowrank.evaluation.metrics.UndefinedMetricWarning` saying why.
"""

import io

import numpy as np

from lowrank.colour import eight_bit_image, luma
from lowrank.evaluation.metrics import SSIMReference, psnr, undefined

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
MS_SSIM_WINDOW, MS_SSIM_SIGMA = 11, 1.5
MS_SSIM_SIDE = MS_SSIM_WINDOW * 2 ** (len(MS_SSIM_WEIGHTS) - 1)
SSIMULACRA2_SIDE = 8
QUALITY_COLUMNS = ("psnr", "psnr_y", "ssim", "ms_ssim", "ssimulacra2")


class QualityReference:
    """Every measure of :data:`QUALITY_COLUMNS` for reconstructions of one
    original (c, m, n) in [0, 1], with what depends on the original alone
    computed once. Safe to share between threads."""

    def __init__(self, original):
        self.original = np.asarray(original, dtype=np.float64)
        self.luma = luma(self.original)
        self.ms_ssim = MSSSIMReference(self.original)
        # SSIM filtered apart only where MS-SSIM's scales do not fit.
        self.ssim = SSIMReference(self.original) if self.ms_ssim.undefined else None
        # Imported here: the report page reads QUALITY_COLUMNS and should not
        # pay for the package's import.
        from lowrank.evaluation.ssimulacra2_reference import SSIMULACRA2Reference

        side = min(self.original.shape[1:])
        self.ssimulacra2 = (
            SSIMULACRA2Reference(self.original) if side >= SSIMULACRA2_SIDE else None
        )

    def __call__(self, reconstruction):
        shown = np.clip(reconstruction, 0.0, 1.0)
        if self.ssim:
            ms_ssim_score, ssim_score = self.ms_ssim(shown), self.ssim(shown)
        else:
            ms_ssim_score, ssim_score = self.ms_ssim.with_ssim(shown)
        return {
            "psnr": psnr(self.original, shown),
            "psnr_y": psnr(self.luma, luma(shown)),
            "ssim": ssim_score,
            "ms_ssim": ms_ssim_score,
            "ssimulacra2": (
                self.ssimulacra2(shown) if self.ssimulacra2 else _too_small(shown)
            ),
        }


def ms_ssim(original, approximation, data_range=1.0):
    """MS-SSIM of the clipped approximation, averaged over channels."""
    return MSSSIMReference(original, data_range)(approximation)


class MSSSIMReference:
    """MS-SSIM of approximations against one original: the original's
    pyramid and filtered moments computed once, so a point filters three
    arrays per scale instead of five."""

    def __init__(self, original, data_range=1.0):
        x = np.asarray(original, dtype=np.float64)
        self.shape = x.shape if x.ndim == 3 else (1, *x.shape)
        self.data_range = data_range
        side = min(self.shape[1:])
        self.undefined = (
            f"MS-SSIM's {len(MS_SSIM_WEIGHTS)} scales need images at least "
            f"{MS_SSIM_SIDE} pixels wide, got {side}"
            if side < MS_SSIM_SIDE
            else ""
        )
        if not self.undefined:
            self.scales = [_pyramid_moments(c) for c in x.reshape(self.shape)]

    def __call__(self, approximation):
        if self.undefined:
            return undefined(self.undefined)
        return self.with_ssim(approximation)[0]

    def with_ssim(self, approximation):
        """(MS-SSIM, SSIM) of ``approximation``, both averaged over channels.

        The finest scale's windowed moments are SSIM's (the same 11 x 11
        Gaussian window, sigma 1.5, over the same valid positions as
        :class:`lowrank.evaluation.metrics.SSIMReference`): SSIM comes with
        them instead of filtering the picture again. Only for a reference
        whose MS-SSIM is defined."""
        y = np.clip(approximation, 0.0, self.data_range).reshape(self.shape)
        scores = np.array([self._channel(s, c) for s, c in zip(self.scales, y)])
        ms_ssim_score, ssim_score = scores.mean(axis=0)
        return float(ms_ssim_score), float(ssim_score)

    def _channel(self, scales, y):
        """(MS-SSIM, SSIM) of one channel."""
        c1, c2 = (0.01 * self.data_range) ** 2, (0.03 * self.data_range) ** 2
        terms, ssim_scores = [], []
        for scale, (x, mean_x, square_x) in enumerate(scales):
            if scale:
                y = _halved(y)
            mean_y = _valid_window(y)
            products = 2 * mean_x * mean_y
            squares = mean_x**2 + mean_y**2
            contrast = (2 * _valid_window(x * y) - products + c2) / (
                square_x + _valid_window(y * y) - squares + c2
            )
            terms.append(float(contrast.mean()))
            if scale in (0, len(scales) - 1):
                luminance = (products + c1) / (squares + c1)
                ssim_scores.append(float((luminance * contrast).mean()))
        terms[-1] = ssim_scores[-1]  # luminance enters at the coarsest scale only
        terms = np.maximum(terms, 0.0)
        return float(np.prod(terms ** np.array(MS_SSIM_WEIGHTS))), ssim_scores[0]


def _pyramid_moments(x):
    """(image, windowed mean, windowed mean square) at every scale."""
    moments = []
    for scale in range(len(MS_SSIM_WEIGHTS)):
        if scale:
            x = _halved(x)
        moments.append((x, _valid_window(x), _valid_window(x * x)))
    return moments


def _valid_window(x):
    """The Gaussian-weighted mean over every full window position (a
    'valid' correlation: the border, which a full window does not cover, is
    cut off)."""
    from scipy.ndimage import correlate1d

    pad = MS_SSIM_WINDOW // 2
    rows = correlate1d(x, _WINDOW_TAPS, axis=0, mode="nearest")[pad:-pad]
    return correlate1d(rows, _WINDOW_TAPS, axis=1, mode="nearest")[:, pad:-pad]


def _window_taps():
    taps = np.arange(MS_SSIM_WINDOW) - MS_SSIM_WINDOW // 2
    kernel = np.exp(-(taps**2) / (2 * MS_SSIM_SIGMA**2))
    return kernel / kernel.sum()


_WINDOW_TAPS = _window_taps()


def _halved(x):
    """2 x 2 average pooling, an odd side first padded by its mirror image."""
    x = np.pad(x, [(0, x.shape[0] % 2), (0, x.shape[1] % 2)], mode="symmetric")
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def ssimulacra2(original, approximation):
    """SSIMULACRA2 score of the clipped approximation (100: identical), by
    the package's ``compute_ssimulacra2``."""
    from ssimulacra2 import compute_ssimulacra2

    shown = np.clip(approximation, 0.0, 1.0)
    if min(shown.shape[1:]) < SSIMULACRA2_SIDE:
        return _too_small(shown)
    pngs = (io.BytesIO(_png(original)), io.BytesIO(_png(shown)))
    return float(compute_ssimulacra2(*pngs))


def _too_small(shown):
    return undefined(
        f"SSIMULACRA2 needs images at least {SSIMULACRA2_SIDE} pixels wide, "
        f"got {min(shown.shape[1:])}"
    )


def _png(stack):
    """8-bit RGB PNG bytes of a gray or RGB stack in [0, 1]."""
    image = eight_bit_image(stack).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()
