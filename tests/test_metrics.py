import math

import numpy as np
import pytest

from lowrank import metrics
from lowrank.svd import thin_svd


def test_relative_errors_on_a_known_pair():
    a, b = np.diag([3.0, 4.0]), np.diag([3.0, 0.0])
    assert metrics.relative_error_2(a, b) == pytest.approx(1.0)
    assert metrics.relative_error_fro(a, b) == pytest.approx(4.0 / 5.0)


def test_channel_stack_is_block_diagonal():
    a = np.stack([np.diag([2.0, 0.0]), np.diag([1.0, 0.0])])
    b = a.copy()
    b[1] = 0.0
    assert metrics.relative_error_2(a, b) == pytest.approx(0.5)


def test_relative_errors_of_a_zero_matrix_are_absolute_errors():
    zero, residue = np.zeros((3, 3)), np.diag([1e-6, 0.0, 0.0])
    assert metrics.relative_error_2(zero, zero) == 0.0
    assert metrics.relative_error_2(zero, residue) == pytest.approx(1e-6)
    assert metrics.relative_error_fro(zero, residue) == pytest.approx(1e-6)
    assert metrics.psnr(zero, zero) == math.inf
    assert metrics.ssim(np.zeros((12, 12)), np.zeros((12, 12))) == pytest.approx(1.0)


def test_numerical_rank_uses_the_given_precision():
    b = np.outer([1.0, 2.0], [1.0, 1.0]) + 1e-9 * np.eye(2)
    assert metrics.numerical_rank(b) == 2
    assert metrics.numerical_rank(b, eps=np.finfo(np.float32).eps) == 1
    assert metrics.numerical_rank(np.zeros((2, 2))) == 0
    # Measured against a scale above its own, the small part is rounding.
    assert metrics.numerical_rank(b, scale=1e9) == 1


def test_psnr_and_ssim():
    rng = np.random.default_rng(0)
    image = rng.uniform(size=(16, 16))
    assert metrics.psnr(image, image) == math.inf
    assert metrics.psnr(image, image + 0.1) == pytest.approx(20.0, abs=0.5)
    assert metrics.ssim(image, image) == pytest.approx(1.0)
    assert metrics.ssim(image, rng.uniform(size=(16, 16))) < 0.5
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert math.isnan(metrics.ssim(np.ones((10, 40)), np.ones((10, 40))))


def test_ssim_is_wang_et_al_with_an_11x11_gaussian_window():
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(5)
    x = rng.uniform(size=(32, 40))
    y = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1)

    def blur(image):  # sigma 1.5 truncated at 3.5 sigma: the 11 x 11 window
        return gaussian_filter(image, 1.5, truncate=3.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = (0.01) ** 2, (0.03) ** 2
    index = ((2 * mx * my + c1) * (2 * cxy + c2)) / (
        (mx**2 + my**2 + c1) * (vx + vy + c2)
    )
    expected = index[5:-5, 5:-5].mean()  # where the whole window lies inside
    assert metrics.ssim(x, y) == pytest.approx(expected, rel=1e-6)


def test_storage_counts():
    assert metrics.svd_stored_numbers(600, 512, 10) == 11130
    assert metrics.compression_ratio(10, 10, 25) == 4.0


def test_principal_angle_zero_for_the_svd_and_nan_for_ties():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((8, 6))
    d = thin_svd(a)
    assert metrics.largest_principal_angle(d.truncate(2), d.u, d.s, 2) == pytest.approx(
        0.0, abs=1e-7
    )
    swapped = d.truncate(1) + d.s[2] * np.outer(d.u[:, 2], d.vt[2])
    assert metrics.largest_principal_angle(swapped, d.u, d.s, 2) == pytest.approx(
        math.pi / 2
    )
    identity = thin_svd(np.eye(4))
    with pytest.warns(metrics.UndefinedMetricWarning, match="not unique"):
        assert math.isnan(
            metrics.largest_principal_angle(np.eye(4), identity.u, identity.s, 2)
        )
