import math

import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation import metrics


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


def test_ssim_matches_scikit_image_and_a_reference_serves_many_images():
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(6)
    x = rng.uniform(size=(3, 30, 41))
    reference = metrics.SSIMReference(x)
    for noise in (0.01, 0.1, 0.5):
        y = np.clip(x + noise * rng.standard_normal(x.shape), 0, 1)
        expected = np.mean([
            structural_similarity(a, b, data_range=1.0, gaussian_weights=True,
                                  sigma=1.5, use_sample_covariance=False)
            for a, b in zip(x, y)
        ])  # fmt: skip
        assert reference(y) == pytest.approx(expected, rel=1e-12)


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


def test_measures_of_float32_inputs_are_computed_in_float64():
    rng = np.random.default_rng(4)
    a, b = rng.uniform(size=(2, 12, 12)).astype(np.float32)
    wide_a, wide_b = a.astype(np.float64), b.astype(np.float64)
    for measure in (metrics.relative_error_2, metrics.relative_error_fro, metrics.psnr):
        assert measure(a, b) == pytest.approx(measure(wide_a, wide_b), rel=1e-13)
    assert metrics.matrix_norm(a, 2) == pytest.approx(
        metrics.matrix_norm(wide_a, 2), rel=1e-14
    )


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"shapes differ: A \(2, 2\), B \(2, 3\)"):
        metrics.relative_error_2(np.ones((2, 2)), np.ones((2, 3)))


def test_image_measures_see_what_a_decoder_would_display():
    rng = np.random.default_rng(6)
    image = rng.uniform(size=(16, 16))
    beyond = np.where(image > 0.5, 1.5, -0.5)  # clipped: the black-and-white image
    black_and_white = (image > 0.5).astype(float)
    assert metrics.psnr(black_and_white, beyond) == math.inf
    assert metrics.ssim(black_and_white, beyond) == pytest.approx(1.0)
    eight_bit = 255 * image
    assert metrics.psnr(eight_bit, eight_bit + 25.5, data_range=255) == pytest.approx(
        metrics.psnr(image, image + 0.1)
    )


def test_ssim_of_a_stack_is_the_mean_over_channels():
    rng = np.random.default_rng(7)
    stack = rng.uniform(size=(2, 11, 14))
    noisy = np.clip(stack + 0.1 * rng.standard_normal(stack.shape), 0, 1)
    each = [metrics.ssim(o, s) for o, s in zip(stack, noisy)]
    assert each[0] != pytest.approx(each[1])
    assert metrics.ssim(stack, noisy) == pytest.approx(np.mean(each))


def test_undefined_measures_warn_where_they_were_asked_for():
    with pytest.warns(metrics.UndefinedMetricWarning, match="at least 11 pixels") as w:
        metrics.ssim(np.ones((10, 40)), np.ones((10, 40)))
    assert w[0].filename == __file__
    with pytest.warns(metrics.UndefinedMetricWarning, match="zero matrix") as w:
        metrics.largest_principal_angle(np.eye(2), np.eye(2), np.zeros(2), 1)
    assert w[0].filename == __file__


def _rotated_basis(angles):
    """An orthonormal 2-column basis at the given principal angles from e1, e2."""
    basis = np.zeros((5, 2))
    for column, angle in enumerate(angles):
        basis[column, column] = math.cos(angle)
        basis[column + 2, column] = math.sin(angle)
    return basis


def test_principal_angle_is_the_largest_of_several():
    reference = thin_svd(np.diag([3.0, 2.0, 1.0, 0.5, 0.25]))
    b = _rotated_basis([0.3, 0.2]) @ np.diag([5.0, 4.0])
    assert metrics.largest_principal_angle(b, reference.u, reference.s, 2) == (
        pytest.approx(0.3)
    )


def test_principal_angle_at_full_rank_and_of_a_single_column():
    a = np.random.default_rng(8).standard_normal((7, 3))
    d = thin_svd(a)
    assert metrics.largest_principal_angle(a, d.u, d.s, 3) == pytest.approx(0, abs=1e-7)
    column = thin_svd(a[:, :1])
    angle = metrics.largest_principal_angle(a[:, :1], column.u, column.s, 1)
    assert angle == pytest.approx(0, abs=1e-7)
    rank_one = np.outer(a[:, 0], [1.0, 2.0, 3.0])
    d = thin_svd(rank_one)
    assert metrics.largest_principal_angle(rank_one, d.u, d.s, 1) == pytest.approx(
        0, abs=1e-7
    )


def test_ties_are_judged_relative_to_the_largest_singular_value():
    tied = thin_svd(np.diag([1e6, 1.0, 1.0 - 1e-6]))
    with pytest.warns(metrics.UndefinedMetricWarning, match="s_2 = s_3"):
        assert math.isnan(metrics.largest_principal_angle(np.eye(3), tied.u, tied.s, 2))
    step = thin_svd(np.diag([3.0, 1.0, 1.0]))  # s_1 > s_2 = s_3
    with pytest.warns(metrics.UndefinedMetricWarning, match="s_2 = s_3"):
        assert math.isnan(metrics.largest_principal_angle(np.eye(3), step.u, step.s, 2))
    exact = thin_svd(np.eye(3))
    with pytest.warns(metrics.UndefinedMetricWarning):
        angle = metrics.largest_principal_angle(np.eye(3), exact.u, exact.s, 1, rtol=0)
    assert math.isnan(angle)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e6])
def test_approximation_rank_is_judged_relative_to_its_size(scale):
    a = np.random.default_rng(9).standard_normal((8, 6))
    d = thin_svd(a)
    rank_one = scale * d.truncate(1)
    with pytest.warns(metrics.UndefinedMetricWarning, match="rank below 2"):
        assert math.isnan(metrics.largest_principal_angle(rank_one, d.u, d.s, 2))
    faint_second_mode = scale * (
        np.outer(d.u[:, 0], d.vt[0]) + 1e-9 * np.outer(d.u[:, 1], d.vt[1])
    )
    angle = metrics.largest_principal_angle(faint_second_mode, d.u, d.s, 2)
    assert angle == pytest.approx(0, abs=1e-6)


def test_float32_approximation_is_measured_in_float64():
    a = np.random.default_rng(10).standard_normal((8, 6))
    single = thin_svd(a).truncate(2).astype(np.float32)
    d = thin_svd(single)
    assert metrics.largest_principal_angle(single, d.u, d.s, 2) < 1e-12
