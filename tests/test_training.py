import numpy as np
import pytest

from lowrank.errors import TrainingDivergedError
from lowrank.svd import thin_svd
from lowrank.training import (
    Architecture,
    ExactRegime,
    PaperRegime,
    regime_from_settings,
    train,
)


def delta_2(matrix, learned, rank):
    d = thin_svd(matrix)
    return np.linalg.norm(matrix - learned, 2) / d.s[0] - d.error_2(rank) / d.s[0]


@pytest.mark.parametrize("design", ["paper", "minimal", "pyramid"])
def test_exact_regime_reaches_the_svd(design):
    matrix = np.random.default_rng(0).uniform(size=(10, 8))
    regime = ExactRegime(architecture=Architecture(design=design))
    for rank in (1, 3, 5):
        result = train(matrix, rank, regime)
        assert result.converged and result.numerical_rank == rank
        assert abs(delta_2(matrix, result.matrix, rank)) < 1e-9
        np.testing.assert_allclose(
            result.matrix, thin_svd(matrix).truncate(rank), atol=1e-8
        )


def test_exact_loss_is_the_relative_squared_frobenius_error():
    matrix = np.random.default_rng(1).standard_normal((6, 6))
    result = train(matrix, 2, ExactRegime())
    d = thin_svd(matrix)
    assert result.loss[-1] == pytest.approx(
        (d.error_fro(2) / np.linalg.norm(matrix)) ** 2
    )
    assert np.all(np.diff(result.loss) <= 1e-12)  # block-exact steps never go uphill


def test_exact_regime_is_deterministic_and_survives_a_zero_matrix():
    matrix = np.random.default_rng(2).uniform(size=(5, 5))
    first, again = train(matrix, 2, ExactRegime()), train(matrix, 2, ExactRegime())
    np.testing.assert_array_equal(first.matrix, again.matrix)
    zero = train(np.zeros((4, 4)), 1, ExactRegime())
    np.testing.assert_allclose(zero.matrix, 0.0, atol=1e-12)


def test_paper_regime_reproduces_its_gap():
    matrix = np.random.default_rng(3).uniform(size=(10, 10))
    regime = PaperRegime()
    assert abs(delta_2(matrix, train(matrix, 1, regime).matrix, 1)) < 0.005
    assert delta_2(matrix, train(matrix, 4, regime).matrix, 4) > 0.01


def test_divergence_is_reported_with_the_setting_to_change():
    matrix = np.random.default_rng(4).uniform(size=(6, 6))
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        train(matrix * 1e30, 2, PaperRegime(samples=256, epochs=2, learning_rate=1e10))


def test_regime_from_settings():
    regime = regime_from_settings(
        "exact", {"max_steps": 50, "architecture": {"design": "custom", "before": [4]}}
    )
    assert regime.max_steps == 50 and regime.architecture.before == (4,)
    with pytest.raises(TypeError):
        regime_from_settings("paper", {"learning_rat": 1.0})
