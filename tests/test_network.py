import numpy as np
import pytest

from lowrank.errors import RankCheckError
from lowrank.network import build_bottleneck, check_rank, layer_widths, learned_matrix


@pytest.mark.parametrize(
    "design, widths",
    [
        ("paper", [10, 2, 8]),
        ("minimal", [2, 8]),
        ("pyramid", [5, 2, 4, 8]),
    ],
)
def test_layer_widths(design, widths):
    assert layer_widths(10, 8, 2, design) == widths


def test_custom_layout_and_unknown_design():
    assert layer_widths(6, 6, 2, "custom", before=(4, 3), after=(5,)) == [4, 3, 2, 5, 6]
    with pytest.raises(ValueError, match="design"):
        layer_widths(6, 6, 2, "hourglass")


def test_learned_matrix_cancels_the_bias():
    model = build_bottleneck(4, 3, 2, design="minimal", use_bias=True, dtype="float64")
    rng = np.random.default_rng(0)
    for layer in model.layers:
        layer.bias.assign(rng.standard_normal(layer.bias.shape))
    w1, w2 = (layer.kernel.numpy() for layer in model.layers)
    np.testing.assert_allclose(learned_matrix(model), (w1 @ w2).T, atol=1e-12)
    assert check_rank(learned_matrix(model), 2, dtype="float64") == 2


def test_rank_check_fails_loudly():
    with pytest.raises(RankCheckError, match="rank 3.*width 2"):
        check_rank(np.eye(3), 2)
