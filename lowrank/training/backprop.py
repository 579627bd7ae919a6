"""Backpropagation of the MSE loss through a linear layer stack, in matrix form.

Row-vector convention (as Keras' ``Dense``): a batch X (N, n) passes through
layers h_i = h_{i-1} W_i + 1 b_i^T, h_0 = X, output h_L, and the loss is
Keras' mean squared error  L = ||h_L - Y||_F^2 / (N m).

The gradient is, with delta_L = dL/dh_L = 2 (h_L - Y) / (N m):

    dL/dW_i = h_{i-1}^T delta_i
    dL/db_i = delta_i^T 1
    delta_{i-1} = delta_i W_i^T

So backpropagation is one matrix product per layer going back, mirroring the
forward pass; with X = I and no biases, dL/dW_i = (W_1 ... W_{i-1})^T delta_L
(W_{i+1} ... W_L)^T, the form the Gauss-Newton trainer preconditions.
"""

import numpy as np


def forward(weights, biases, x):
    """Return the activations [h_0, ..., h_L] of the linear stack.

    Parameters
    ----------
    weights : list of ndarray, W_i of shape (d_{i-1}, d_i)
    biases : list of ndarray (d_i,) or None
        None means a stack without biases.
    x : ndarray (N, d_0)
    """
    biases = biases or [None] * len(weights)
    activations = [np.asarray(x, dtype=np.float64)]
    for weight, bias in zip(weights, biases):
        h = activations[-1] @ weight
        activations.append(h if bias is None else h + bias)
    return activations


def mse_loss(weights, biases, x, y):
    """Keras' MSE ||h_L - Y||_F^2 / (N m) of the stack on (x, y)."""
    residual = forward(weights, biases, x)[-1] - y
    return float(np.mean(residual**2))


def mse_gradients(weights, biases, x, y):
    """Closed-form gradients of :func:`mse_loss` with respect to every parameter.

    Returns
    -------
    weight_grads : list of ndarray, same shapes as ``weights``
    bias_grads : list of ndarray (same shapes as ``biases``) or None
    """
    activations = forward(weights, biases, x)
    output = activations[-1]
    delta = 2.0 * (output - y) / output.size
    weight_grads, bias_grads = [], []
    for weight, h_prev in zip(reversed(weights), reversed(activations[:-1])):
        weight_grads.append(h_prev.T @ delta)
        bias_grads.append(delta.sum(axis=0))
        delta = delta @ weight.T
    weight_grads.reverse()
    bias_grads.reverse()
    return weight_grads, (bias_grads if biases else None)
