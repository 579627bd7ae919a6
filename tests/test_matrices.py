import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.errors import StudySpecError
from lowrank.inputs.matrices import build_member, build_members


def relative_svd_error_2(matrix, rank):
    decomposition = thin_svd(matrix)
    return decomposition.error_2(rank) / decomposition.s[0]


def test_paper_identity_and_diagonal_errors():
    (identity,) = build_members("id", {"family": "identity", "n": 50})
    (diagonal,) = build_members("d", {"family": "diag", "n": 50})
    assert relative_svd_error_2(identity, 20) == pytest.approx(1.0)
    assert relative_svd_error_2(diagonal, 20) == pytest.approx(0.5918, abs=5e-5)


def test_random_sets_are_seeded_and_shaped():
    spec = {"family": "uniform", "count": 3, "shape": [4, 5], "seed": 7}
    first, again = build_members("r", spec), build_members("r", spec)
    assert len(first) == 3 and first[0].shape == (4, 5)
    np.testing.assert_array_equal(first[2], again[2])
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("symmetrize", ["upper", "mean"])
def test_symmetric_members_are_symmetric(symmetrize):
    spec = {"family": "symmetric", "count": 2, "n": 6, "seed": 1}
    members = build_members("s", {**spec, "symmetrize": symmetrize})
    draw = np.random.default_rng(1).uniform(size=(6, 6))
    for member in members:
        np.testing.assert_array_equal(member, member.T)
    if symmetrize == "upper":  # the draw's own entries, each U(0, 1)
        np.testing.assert_array_equal(np.triu(members[0]), np.triu(draw))
    else:
        np.testing.assert_allclose(members[0], (draw + draw.T) / 2)
    assert (
        build_members("s", spec)[0].tolist()
        == build_members("s", {**spec, "symmetrize": "upper"})[0].tolist()
    )


@pytest.mark.parametrize(
    "spec, key",
    [
        ({"family": "circulant", "n": 3}, "matrices.bad.family"),
        ({"family": "identity"}, "missing"),
        ({"family": "diag", "n": 0}, "matrices.bad.n"),
        (
            {"family": "symmetric", "n": 3, "count": 1, "seed": 0, "symmetrize": "x"},
            "matrices.bad.symmetrize",
        ),
        ({"family": "uniform", "count": 2.5, "shape": [2, 2], "seed": 0}, "count"),
    ],
)
def test_bad_specs_name_the_key(spec, key):
    with pytest.raises(StudySpecError, match=key):
        build_members("bad", spec)


def test_gapped_spectrum_has_the_asked_gap():
    from lowrank.inputs.matrices import gapped_spectrum_matrix

    matrix, s = gapped_spectrum_matrix(30, 5, 0.9, seed=1)
    found = np.linalg.svd(matrix, compute_uv=False)
    np.testing.assert_allclose(found, s, rtol=1e-10)
    assert found[5] / found[4] == pytest.approx(0.9)
    assert found[4] / found[3] == pytest.approx(0.97)


@pytest.mark.parametrize(
    "spec",
    [
        {"family": "uniform", "count": 4, "shape": [3, 5], "seed": 7},
        {"family": "symmetric", "count": 3, "n": 4, "seed": 2},
        {"family": "symmetric", "count": 3, "n": 4, "seed": 2, "symmetrize": "mean"},
        {"family": "diag", "n": 3},
    ],
)
def test_one_member_is_that_member_of_the_set(spec):
    members = build_members("s", spec)
    for index, matrix in enumerate(members):
        np.testing.assert_array_equal(build_member("s", spec, index), matrix)
    with pytest.raises(StudySpecError, match=f"no member {len(members)}"):
        build_member("s", spec, len(members))
