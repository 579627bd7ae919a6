import keras
import numpy as np
import pytest

from lowrank.decomposition.svd import numerical_rank
from lowrank.training.network import (
    build_bottleneck,
    layer_widths,
    learned_matrix,
    rank_check,
    rounding_scale,
)


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
    assert rank_check(learned_matrix(model), 2, "float64", 1.0) == (2, None)


def test_rank_check_names_the_excess_rank():
    found, message = rank_check(np.eye(3), 2, "float32", 1.0)
    assert found == 3 and "rank 3, above its bottleneck width 2" in message


def test_rank_of_a_vanishing_map_is_measured_at_the_network_scale():
    # A network trained towards the zero map: ordinary weights, large biases,
    # and a product that is only the rounding residue of f(e_j) - f(0).
    keras.utils.set_random_seed(0)
    model = build_bottleneck(8, 8, 2, use_bias=True, dtype="float32")
    for layer in model.layers:
        layer.kernel.assign(layer.kernel.numpy() * 0.1)
        layer.bias.assign(np.full(layer.bias.shape, 50.0, dtype="float32"))
    matrix = learned_matrix(model)
    assert numerical_rank(matrix, np.finfo("float32").eps) > 2  # residue
    found, message = rank_check(matrix, 2, "float32", rounding_scale(model))
    assert found <= 2 and message is None
