import re

import numpy as np
import pytest

from lowrank.decomposition.svd import numerical_rank, thin_svd


@pytest.fixture
def matrix():
    return np.random.default_rng(0).standard_normal((30, 20))


def test_truncation_errors_follow_the_singular_values(matrix):
    decomposition = thin_svd(matrix)
    for rank in (1, 5, 19):
        approximation = decomposition.truncate(rank)
        assert np.linalg.matrix_rank(approximation) == rank
        assert np.linalg.norm(matrix - approximation, 2) == pytest.approx(
            decomposition.error_2(rank)
        )
        assert np.linalg.norm(matrix - approximation) == pytest.approx(
            decomposition.error_fro(rank)
        )


def test_truncation_beats_nearby_rank_k_matrices(matrix):
    # Eckart-Young: the truncation is the unique best rank-3 matrix in the
    # Frobenius norm (s_3 > s_4 here), so every small rank-3 perturbation of
    # its factors is worse, and a truncation that were off by as little as
    # these perturbations (or returned zeros) would fail.
    rng = np.random.default_rng(1)
    d = thin_svd(matrix)
    assert d.s[2] > d.s[3]
    best = np.linalg.norm(matrix - d.truncate(3))
    u, s, vt = d.u[:, :3], d.s[:3], d.vt[:3]
    for scale in (1e-2, 1e-3):
        for _ in range(10):
            nearby_u = u + scale * rng.standard_normal(u.shape)
            nearby_vt = vt + scale * rng.standard_normal(vt.shape)
            other = (nearby_u * s) @ nearby_vt
            assert np.linalg.matrix_rank(other) == 3
            assert np.linalg.norm(matrix - other) > best


@pytest.mark.parametrize("rank", [0, -1, 21, 2.0, True])
def test_invalid_ranks_are_refused(matrix, rank):
    with pytest.raises(ValueError, match="rank"):
        thin_svd(matrix).truncate(rank)


def test_non_finite_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        thin_svd(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize("shape", [(30, 20), (20, 30)])
def test_full_rank_truncation_is_the_matrix_with_zero_error(shape):
    matrix = np.random.default_rng(2).standard_normal(shape)
    decomposition = thin_svd(matrix)
    assert decomposition.u.shape == (shape[0], 20)
    assert decomposition.vt.shape == (20, shape[1])
    np.testing.assert_allclose(decomposition.truncate(20), matrix, atol=1e-12)
    assert (decomposition.error_2(20), decomposition.error_fro(20)) == (0.0, 0.0)


def test_factors_are_float64_whatever_the_input_precision():
    single = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
    decomposition = thin_svd(single)
    assert decomposition.s.dtype == np.float64
    np.testing.assert_allclose(decomposition.truncate(4), single, rtol=0, atol=1e-14)


@pytest.mark.parametrize("array", [np.ones(3), np.ones((0, 3)), np.ones((2, 2, 2))])
def test_only_non_empty_matrices_are_decomposed(array):
    with pytest.raises(
        ValueError, match=re.escape(f"2-D matrix, got shape {array.shape}")
    ):
        thin_svd(array)


def test_svd_errors_of_a_zero_stack_are_zero_and_of_channels_block_diagonal():
    from lowrank.decomposition.svd import svd_errors

    assert svd_errors([thin_svd(np.zeros((3, 2)))] * 2, 1) == (0.0, 0.0)
    channels = [thin_svd(np.diag([4.0, 2.0])), thin_svd(np.diag([1.0, 1.0]))]
    error_2, error_fro = svd_errors(channels, 1)
    assert error_2 == pytest.approx(2.0 / 4.0)
    assert error_fro == pytest.approx(np.sqrt(4.0 + 1.0) / np.sqrt(16 + 4 + 1 + 1))


def test_numerical_rank_uses_the_given_precision():
    b = np.outer([1.0, 2.0], [1.0, 1.0]) + 1e-9 * np.eye(2)
    assert numerical_rank(b) == 2
    assert numerical_rank(b, eps=np.finfo(np.float32).eps) == 1
    assert numerical_rank(np.zeros((2, 2))) == 0
    # Measured against a scale above its own, the small part is rounding.
    assert numerical_rank(b, scale=1e9) == 1


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_numerical_rank_does_not_depend_on_the_scale(scale):
    assert numerical_rank(scale * np.diag([1.0, 1e-10])) == 2
    assert numerical_rank(scale * np.diag([1.0, 1e-17])) == 1


def test_numerical_rank_of_float32_entries():
    exactly_rank_one = np.outer([1, 2, 3], [1, 1, 1]).astype(np.float32)
    assert numerical_rank(exactly_rank_one) == 1
