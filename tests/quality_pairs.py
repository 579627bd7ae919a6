"""Deterministic image pairs for the MS-SSIM reference values
(``tests/data/ms_ssim_reference.csv``, made by
``tests/data/make_ms_ssim_reference.py``)."""

import numpy as np
from scipy.ndimage import gaussian_filter


def original(shape, seed):
    """A smooth random image in [0, 1] of ``shape`` (c, m, n)."""
    rng = np.random.default_rng(seed)
    image = gaussian_filter(rng.random(shape), sigma=(0, 3, 3))
    image -= image.min()
    return image / image.max()


def distortions(image, seed):
    """Named distorted copies of ``image``, clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    return {
        "noise": np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1),
        "blur": gaussian_filter(image, sigma=(0, 1.5, 1.5)),
        "contrast": 0.25 + 0.5 * image,
        "posterised": np.round(image * 4) / 4,
    }


# (name, shape (c, m, n), seed): an even gray image and an odd-sided colour one.
ORIGINALS = [("gray192x200", (1, 192, 200), 0), ("rgb181x257", (3, 181, 257), 1)]


def pairs():
    """(original name, distortion name, original, distorted) for every pair."""
    for name, shape, seed in ORIGINALS:
        image = original(shape, seed)
        for distortion, distorted in distortions(image, seed + 10).items():
            yield name, distortion, image, distorted
