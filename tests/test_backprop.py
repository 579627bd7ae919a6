import numpy as np
import pytest
import tensorflow as tf

from lowrank.training.backprop import mse_gradients, mse_loss
from lowrank.training.network import build_bottleneck, kernels


@pytest.mark.parametrize("use_bias", [True, False])
def test_matrix_form_gradient_equals_autodiff(use_bias):
    model = build_bottleneck(
        5, 4, 2, design="paper", use_bias=use_bias, dtype="float64"
    )
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if use_bias:
            layer.bias.assign(rng.standard_normal(layer.bias.shape))
    x, y = rng.standard_normal((7, 5)), rng.standard_normal((7, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    variables = [layer.kernel for layer in model.layers]
    if use_bias:
        variables += [layer.bias for layer in model.layers]
    autodiff = [g.numpy() for g in tape.gradient(loss, variables)]

    biases = [layer.bias.numpy() for layer in model.layers] if use_bias else None
    weight_grads, bias_grads = mse_gradients(kernels(model), biases, x, y)
    assert mse_loss(kernels(model), biases, x, y) == pytest.approx(float(loss))
    for ours, theirs in zip(weight_grads + (bias_grads or []), autodiff, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
