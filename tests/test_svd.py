import numpy as np
import pytest

from lowrank.svd import thin_svd


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
