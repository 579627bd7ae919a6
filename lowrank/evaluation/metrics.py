"""Error, image-quality and storage measures of an approximation.

Every function takes plain arrays. A quantity that is undefined for the
given input (SSIM of an image smaller than its 11 x 11 window, a principal angle
between tied singular values) is returned as NaN and announced with an
:class:`UndefinedMetricWarning` that says why. Relative errors of a zero
matrix A are defined as the absolute error ||A - B|| (the denominator taken
as 1), so that an exact approximation of a black image scores 0 and a network
that leaves residue scores its size.
"""

import math
import warnings

import numpy as np


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for its input and was returned as NaN."""


def undefined(reason):
    """Warn that a measure is undefined, naming why, and return NaN."""
    warnings.warn(reason, UndefinedMetricWarning, stacklevel=3)
    return math.nan


def relative_error_2(a, b, norm_a=None):
    """||A - B||_2 / ||A||_2 (spectral norm); ||B||_2 for a zero A.

    A (c, m, n) stack is read as the block-diagonal matrix of its channels, so
    its spectral norm is the largest over channels. ``norm_a`` is ||A||_2
    where it is known (the largest singular value), saving an SVD.
    """
    return _relative(a, b, 2, norm_a)


def relative_error_fro(a, b, norm_a=None):
    """||A - B||_F / ||A||_F over all entries (of all channels); ||B||_F for a
    zero A. ``norm_a`` is ||A||_F where it is known."""
    return _relative(a, b, "fro", norm_a)


def _relative(a, b, ord, norm_a):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: A {a.shape}, B {b.shape}")
    scale = (matrix_norm(a, ord) if norm_a is None else norm_a) or 1.0
    return float(matrix_norm(a - b, ord) / scale)


def matrix_norm(a, ord):
    """Spectral (``2``) or Frobenius (``"fro"``) norm of a matrix or channel stack."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2:
        return float(np.linalg.norm(a, ord=ord))
    if ord == "fro":
        return float(np.sqrt(np.sum(a**2)))
    return float(np.max(np.linalg.norm(a, ord=2, axis=(-2, -1))))


def psnr(original, approximation, data_range=1.0):
    """Peak signal-to-noise ratio in dB of the approximation clipped to the range.

    Clipping to [0, data_range] measures what a decoder would display.
    Identical images give +inf.
    """
    original = np.asarray(original, dtype=np.float64)
    shown = np.clip(approximation, 0.0, data_range)
    mse = float(np.mean((original - shown) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def ssim(original, approximation, data_range=1.0):
    """Structural similarity of the clipped approximation, as published:
    :class:`SSIMReference` of ``original`` applied to ``approximation``."""
    reference = SSIMReference(original, data_range)
    # Checked here, not through reference(): the warning names our caller.
    if reference.undefined:
        return undefined(reference.undefined)
    return reference.score(approximation)


class SSIMReference:
    """SSIM of approximations against one original, Wang et al. (2004).

    An 11 x 11 Gaussian window with sigma 1.5 and population covariances,
    the border of half a window left out of the mean: scikit-image's
    ``structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False)``, which a test compares it with. The
    original's filtered moments are computed once, so a curve of many
    approximations of one image filters three arrays per point, not five.
    ``original`` is (m, n) or a channel stack (c, m, n); channels are
    averaged. Images smaller than the window (under 11 pixels on a side)
    give NaN. Filtering releases the GIL: references may be shared by threads.
    """

    def __init__(self, original, data_range=1.0):
        original = np.asarray(original, dtype=np.float64)
        self.stack = original if original.ndim == 3 else original[np.newaxis]
        self.data_range = data_range
        side = min(self.stack.shape[1:])
        self.undefined = (
            f"SSIM's {SSIM_WINDOW}x{SSIM_WINDOW} window needs images at least "
            f"{SSIM_WINDOW} pixels wide, got {side}"
            if side < SSIM_WINDOW
            else ""
        )
        self.mean = [_window(x) for x in self.stack]
        self.variance = [_window(x * x) - u * u for x, u in zip(self.stack, self.mean)]

    def __call__(self, approximation):
        if self.undefined:
            return undefined(self.undefined)
        return self.score(approximation)

    def score(self, approximation):
        """SSIM of ``approximation``, the reference at least a window wide."""
        shown = np.clip(approximation, 0.0, self.data_range).reshape(self.stack.shape)
        c1 = (0.01 * self.data_range) ** 2
        c2 = (0.03 * self.data_range) ** 2
        pad = SSIM_WINDOW // 2
        values = []
        for x, y, ux, vx in zip(self.stack, shown, self.mean, self.variance):
            uy = _window(y)
            vy = _window(y * y) - uy * uy
            vxy = _window(x * y) - ux * uy
            index = ((2 * ux * uy + c1) * (2 * vxy + c2)) / (
                (ux * ux + uy * uy + c1) * (vx + vy + c2)
            )
            values.append(index[pad:-pad, pad:-pad].mean(dtype=np.float64))
        return float(np.mean(values))


def _window(x):
    """The Gaussian-weighted local mean, truncated at 3.5 sigma (11 taps)."""
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(x, sigma=1.5, truncate=3.5, mode="reflect")


SSIM_WINDOW = 11  # 2 * round(3.5 sigma) + 1 for sigma 1.5, scikit-image's truncation


def svd_stored_numbers(m, n, rank):
    """Numbers kept by rank-k SVD factors: k (m + n + 1)."""
    return rank * (m + n + 1)


def compression_ratio(m, n, stored_numbers):
    """m n / stored numbers (> 1 means the approximation is smaller)."""
    return (m * n) / stored_numbers


def largest_principal_angle(b, u, s, rank, rtol=1e-10):
    """Largest principal angle (radians) between col(B) and span(U[:, :rank]).

    Parameters
    ----------
    b : ndarray (m, n)
        The approximation whose column space is compared.
    u, s : ndarray (m, r), (r,)
        Left singular vectors and values of the original matrix.
    rank : int

    Notes
    -----
    The top-k left singular subspace is unique only when s_k > s_{k+1}; for a
    tie (within ``rtol`` relative to s_1) the angle is undefined and NaN is
    returned. The column space of B is the span of its ``rank`` leading left
    singular vectors; fewer nonzero ones also give NaN.
    """
    if s.size == 0 or s[0] == 0.0:
        return undefined("principal angle of a zero matrix is undefined")
    if rank < s.size and s[rank - 1] - s[rank] <= rtol * s[0]:
        return undefined(
            f"s_{rank} = s_{rank + 1} = {s[rank]:.6g}: the top-{rank} singular "
            "subspace is not unique, so its principal angle is undefined"
        )
    ub, sb, _ = np.linalg.svd(np.asarray(b, dtype=np.float64), full_matrices=False)
    if sb.size < rank or sb[rank - 1] <= rtol * max(sb[0], 1e-300):
        return undefined(f"the approximation has rank below {rank}")
    basis, reference = ub[:, :rank], u[:, :rank]
    # Sines resolve small angles that arccos of a cosine near 1 would round away.
    sine = np.linalg.norm(basis - reference @ (reference.T @ basis), ord=2)
    cosine = np.linalg.svd(reference.T @ basis, compute_uv=False).min()
    return float(np.arctan2(sine, cosine))
