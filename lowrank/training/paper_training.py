"""The paper regime: Adam on mini-batches of random vectors, one compiled call
per training.

The mathematics is that of ``model.fit(x, A x, batch_size, epochs,
shuffle=True)`` with ``Adam(learning_rate)`` and the ``mse`` loss:
Keras' Adam update (epsilon 1e-7, betas 0.9 and 0.999), the mean squared
error of each mini-batch (the last one of an epoch may be shorter), and a new
order of the samples every epoch. What differs is dispatch: ``fit`` returns
to Python after every step (and did so twice more for the loss callback),
while here every step of the training runs inside one ``tf.function`` or
``jax.jit`` call. Gradients are the closed form of :mod:`lowrank.training.backprop`
written in ``keras.ops``, so the loop is the same on every backend. The
shuffle order comes from NumPy's generator (:func:`network_streams`) rather than
from ``tf.data``, so individual runs differ from ``fit``'s in the order of the
batches, not in distribution.
"""

import functools
import math
import zlib

import numpy as np

from lowrank.errors import check_finite
from lowrank.training.backend import compile_function, keras, to_numpy
from lowrank.training.network import bottleneck_for, padded_kernels
from lowrank.training.regimes import INPUT_DISTRIBUTIONS, Fit

MAX_LOSS_POINTS = 500
DATA_STREAM = 0  # network_streams' stream of the training vectors; ranks are >= 1
ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7


def paper_network(a, rank, regime):
    """The paper's network: its initializer (he_normal), biases as set, and
    initial weights of its own (:func:`network_streams`)."""
    weights = network_streams(regime.seed, a, rank)
    return bottleneck_for(
        a, rank, regime, regime.use_bias, regime.initializer, seed=weights
    )


def fit_paper(model, a, regime, widths=None):
    """The paper regime's trainer (:class:`lowrank.training.regimes.RegimeInfo`)."""
    loss, steps, loss_every = train_paper(model, a, regime, widths)
    return Fit(loss, steps, loss_every, converged=True)


def train_paper(model, a, regime, widths=None):
    """Train ``model`` (Dense layers, no activation) to map x to ``a`` x.

    Parameters
    ----------
    model : keras.Sequential
        Built by :func:`lowrank.training.network.build_bottleneck`; its weights are
        replaced by the trained ones.
    a : ndarray (m, n)
    regime : lowrank.training.regimes.PaperRegime
    widths : list of int, optional
        Layer widths to run the compiled loop at, each at least the model's
        (:func:`lowrank.training.network.shared_widths`): the networks of every rank
        of a job then share one trace and compilation. The extra units start
        at zero and stay there (their gradients are zero: no weight leads in
        or out of them), so the training is the model's own.

    Returns
    -------
    loss : ndarray (steps // loss_every,)
        The expected MSE over the regime's input distribution
        (:func:`expected_loss`) of the affine map f(x) = B x + c after every
        ``loss_every``-th step.
    steps : int
    loss_every : int

    Raises :class:`lowrank.errors.TrainingDivergedError` when the loss is
    not finite.
    """
    rng = np.random.default_rng(network_streams(regime.seed, a, DATA_STREAM))
    x = random_inputs(rng, regime.inputs, (regime.samples, a.shape[1]))
    x = x.astype(regime.dtype)
    y = (x @ a.T).astype(regime.dtype)
    epochs = [
        batch_order(rng, regime.samples, regime.batch_size)
        for _ in range(regime.epochs)
    ]
    orders, weights = zip(*epochs)
    order, weight = np.concatenate(orders), np.concatenate(weights)
    steps = len(order)
    loss_every = max(1, math.ceil(steps / MAX_LOSS_POINTS))
    ops = keras.ops
    run = compiled_training(
        regime.learning_rate, regime.use_bias, INPUT_DISTRIBUTIONS[regime.inputs]
    )
    state = run(
        initial_state(model, widths),
        ops.convert_to_tensor(x),
        ops.convert_to_tensor(y),
        ops.convert_to_tensor(a.astype(regime.dtype)),
        ops.convert_to_tensor(order),
        ops.convert_to_tensor(weight.astype(regime.dtype)),
        ops.zeros((steps // loss_every,), dtype=regime.dtype),
        ops.convert_to_tensor(loss_every, "int32"),
    )
    kernels, biases, _, _, losses = state
    for layer, kernel, bias in zip(model.layers, kernels, biases):
        rows, units = layer.kernel.shape
        layer.kernel.assign(kernel[:rows, :units])
        if layer.use_bias:
            layer.bias.assign(bias[:units])
    losses = to_numpy(losses, np.float64)
    check_finite(losses, "learning_rate", every=loss_every)
    return losses, steps, loss_every


def network_streams(seed, a, stream):
    """The seed of one of a network's random streams: its initial weights
    (``stream`` = its rank) or its training vectors and their order
    (:data:`DATA_STREAM`).

    Each (matrix, rank) gets initial weights of its own, as each of the
    paper's Keras models did (it set no seed): drawn from one seed for every
    member of a set, one unlucky draw stalled the rank-1 network of every
    member alike. The vectors come from a stream independent of the weights
    (Keras drew weights from the backend's generator). ``seed`` (the
    regime's) varies them all. Evidence: `docs/paper.md`, "Rank 1".
    """
    digest = zlib.crc32(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return np.random.SeedSequence([seed, digest], spawn_key=(stream,))


def random_inputs(rng, distribution, shape):
    """Training vectors (one per row) drawn from ``distribution``."""
    if distribution == "gaussian":
        return rng.standard_normal(shape)
    if distribution == "uniform":
        return rng.random(shape)
    raise ValueError(f"unknown input distribution {distribution!r}")


def batch_order(rng, samples, batch_size):
    """One epoch's shuffled sample indices as (batches, batch_size), and the
    weight of each slot: 1 / (size of its batch), 0 for padding in a short
    last batch."""
    per_epoch = math.ceil(samples / batch_size)
    order = np.zeros(per_epoch * batch_size, dtype=np.int32)
    order[:samples] = rng.permutation(samples)
    sizes = np.full(per_epoch, batch_size)
    sizes[-1] = samples - (per_epoch - 1) * batch_size
    slots = np.arange(batch_size)
    weight = np.where(slots < sizes[:, None], 1.0 / sizes[:, None], 0.0)
    return order.reshape(per_epoch, batch_size), weight


def initial_state(model, widths=None):
    """(kernels, biases, Adam first and second moments, step count), the
    weights zero-padded to the layer ``widths`` (default: the model's;
    :func:`lowrank.training.network.padded_kernels`)."""
    ops = keras.ops
    layers = model.layers
    widths = [layer.units for layer in layers] if widths is None else widths
    kernels = padded_kernels([to_numpy(layer.kernel) for layer in layers], widths)
    biases = [np.zeros(width, dtype=kernels[0].dtype) for width in widths]
    for bias, layer in zip(biases, layers):
        if layer.use_bias:
            bias[: layer.units] = to_numpy(layer.bias)
    # Plain tensors, not variables: the compiled loop carries them as values.
    kernels = tuple(ops.convert_to_tensor(kernel) for kernel in kernels)
    biases = tuple(ops.convert_to_tensor(bias) for bias in biases)
    parameters = kernels + biases
    first = tuple(ops.zeros_like(p) for p in parameters)
    second = tuple(ops.zeros_like(p) for p in parameters)
    return kernels, biases, first, second, ops.convert_to_tensor(0, "int32")


def mse_gradients(kernels, biases, x, y, weight):
    """Gradients of the weighted MSE sum_i weight_i ||f(x_i) - y_i||^2 / m.

    With weight_i = 1 / N this is Keras' ``mse`` of a batch of N rows; the
    closed form of :func:`lowrank.training.backprop.mse_gradients` in ``keras.ops``.
    Returns (kernel gradients, bias gradients) as tuples.
    """
    ops = keras.ops
    activations = [x]
    for kernel, bias in zip(kernels, biases):
        activations.append(ops.matmul(activations[-1], kernel) + bias)
    output = activations[-1]
    delta = 2.0 * (output - y) * ops.expand_dims(weight, 1) / output.shape[1]
    kernel_grads, bias_grads = [], []
    for kernel, h_prev in zip(reversed(kernels), reversed(activations[:-1])):
        kernel_grads.append(ops.matmul(ops.transpose(h_prev), delta))
        bias_grads.append(ops.sum(delta, axis=0))
        delta = ops.matmul(delta, ops.transpose(kernel))
    return tuple(reversed(kernel_grads)), tuple(reversed(bias_grads))


def adam_update(parameters, grads, first, second, step, learning_rate):
    """Keras 3's Adam update at 1-based ``step`` (``keras.optimizers.Adam``)."""
    ops = keras.ops
    step = ops.cast(step, parameters[0].dtype)
    alpha = (
        learning_rate * ops.sqrt(1.0 - ADAM_BETA_2**step) / (1.0 - ADAM_BETA_1**step)
    )
    first = tuple(m + (g - m) * (1 - ADAM_BETA_1) for m, g in zip(first, grads))
    second = tuple(
        v + (ops.square(g) - v) * (1 - ADAM_BETA_2) for v, g in zip(second, grads)
    )
    parameters = tuple(
        p - m * alpha / (ops.sqrt(v) + ADAM_EPSILON)
        for p, m, v in zip(parameters, first, second)
    )
    return parameters, first, second


def expected_loss(kernels, biases, target, distribution):
    """The MSE's expectation over x of f(x) = B x + c against A x.

    With ``distribution`` = (mu, var), entries of x independent with mean mu
    and variance var: E ||(B - A) x + c||^2 / m
    = (var ||B - A||_F^2 + ||mu (B - A) 1 + c||^2) / m.
    """
    ops = keras.ops
    mean, variance = distribution
    product, offset = kernels[0], biases[0]
    for kernel, bias in zip(kernels[1:], biases[1:]):
        product = ops.matmul(product, kernel)
        offset = ops.matmul(ops.expand_dims(offset, 0), kernel)[0] + bias
    difference = product - ops.transpose(target)
    shift = mean * ops.sum(difference, axis=0) + offset
    error = variance * ops.sum(ops.square(difference)) + ops.sum(ops.square(shift))
    return error / target.shape[0]


@functools.cache
def compiled_training(learning_rate, use_bias, distribution):
    """The compiled :func:`training_function`, one per process and settings:
    a later training of the same shapes reuses its trace and compilation."""
    return compile_function(training_function(learning_rate, use_bias, distribution))


def training_function(learning_rate, use_bias, distribution):
    """A pure function running every Adam step of a training, for compilation.

    Its inputs are the initial state, the data, the target A, the sample
    indices and batch weights of every step (steps, batch), a buffer of
    zeros, one per loss point, and ``every``: the expected loss is recorded
    after every ``every``-th step. It returns the final state and the losses.
    One loop holds the only copy of the step, so XLA compiles it once.
    """
    ops = keras.ops

    def step(state, x, y, rows, weight):
        kernels, biases, first, second, count = state
        kernel_grads, bias_grads = mse_gradients(
            kernels, biases, ops.take(x, rows, axis=0), ops.take(y, rows, axis=0),
            weight,
        )  # fmt: skip
        if not use_bias:
            bias_grads = tuple(ops.zeros_like(g) for g in bias_grads)
        count = count + 1
        parameters, first, second = adam_update(
            kernels + biases, kernel_grads + bias_grads, first, second, count,
            learning_rate,
        )  # fmt: skip
        layers = len(kernels)
        return _plain((parameters[:layers], parameters[layers:], first, second, count))

    def run(state, x, y, target, order, weight, losses, every):
        def one_step(i, carry):
            state, losses = carry
            state = step(state, x, y, order[i], weight[i])

            def record():
                loss = expected_loss(state[0], state[1], target, distribution)
                point = (i + 1) // every - 1
                return ops.slice_update(losses, [point], ops.reshape(loss, (1,)))

            # No point for the steps after the last whole block of ``every``.
            recorded = ops.logical_and(
                (i + 1) % every == 0, (i + 1) // every <= losses.shape[0]
            )
            return state, ops.cond(recorded, record, lambda: losses)

        state, losses = ops.fori_loop(0, order.shape[0], one_step, (state, losses))
        return (*_plain(state)[:4], losses)

    return run


def _plain(state):
    """The loop state with tuples as containers, as it entered the loop."""
    kernels, biases, first, second, count = state
    return tuple(kernels), tuple(biases), tuple(first), tuple(second), count
