"""The exact regime: accelerated Gauss-Newton sweeps on the exact objective.

A linear bottleneck network has no spurious local minima and its global
optimum under MSE is A_k (Baldi & Hornik 1989), so closing the paper's gap is
a matter of optimisation:

- **Exact objective.** The input batch is the identity basis and the target
  T = A^T / ||A||_F, so the loss ||W_1 ... W_L - T||_F^2 is the expected MSE
  over x ~ N(0, I) without sampling noise, and equals the relative squared
  Frobenius error of B. No biases: with basis inputs a bias adds a rank-one
  term and the net would no longer be a rank-k map.
- **Orthogonal initialisation** (gain g), away from the saddle at zero where
  small initialisations sit on plateaus (Saxe et al. 2014).
- **Square end layers stay at their initialisation.** A leading run of n x n
  layers is g^j times an orthogonal matrix Q, so ||Q X g^j - T||_F =
  g^j ||X - Q^T T / g^j||_F: training the other layers on the rotated target
  is the same problem, and the square layers' own steps would only re-express
  the product the next layer already reaches. The same holds for a trailing
  run of m x m layers. For the paper's n -> n -> k -> m this removes every
  n x n solve from the sweep.
- **Gauss-Newton steps per layer** (K-FAC, exact for linear layers):
  W_i <- W_i - (L^T L + lambda)^-1 grad_i (R R^T + lambda)^-1 with L, R the
  products of the layers before and after. A unit step is the exact minimiser
  over that layer, so a sweep never goes uphill. Plain sweeps converge like
  subspace iteration, at (s_{k+1} / s_k)^2 per sweep, which crawls when
  singular values crowd at the rank.
- **Nesterov momentum with adaptive restart** (O'Donoghue & Candes 2015, as
  used to accelerate alternating least squares by Mitchell, Ye & De Sterck
  2020): each sweep starts from x_t + t / (t + 3) (x_t - x_{t-1}); when the
  loss would rise, the sweep is redone from x_t and the momentum restarts.
  The loss therefore never rises, and the rate improves from rho to about
  1 - sqrt(1 - rho) per iteration without knowing the spectrum (100
  iterations at s_51 / s_50 = 0.99 on a 512 x 512 matrix:
  bench/training_speed_2026-12-02.md).
- **float64**, since the Gram solves halve the digits.
- ``steps_per_call`` iterations run inside one compiled call; training stops
  when the loss fell by less than ``tolerance`` (relative) over a call. Nothing
  here looks at an SVD or an eigensolver of A.
"""

import functools
import math

import numpy as np

from lowrank.errors import check_finite
from lowrank.training.backend import compile_function, keras, to_numpy
from lowrank.training.network import bottleneck_for, padded_kernels
from lowrank.training.network import kernels as network_kernels
from lowrank.training.regimes import Fit


def exact_network(a, rank, regime):
    """No biases, orthogonal kernels of gain ``init_gain``."""
    initializer = keras.initializers.Orthogonal(gain=regime.init_gain, seed=regime.seed)
    return bottleneck_for(a, rank, regime, use_bias=False, initializer=initializer)


def fit_exact(model, a, regime, widths=None):
    """The exact regime's trainer (:class:`lowrank.training.regimes.RegimeInfo`)."""
    loss, converged, _ = train_exact(model, a, regime, widths)
    note = (
        ""
        if converged
        else f"the tolerance {regime.tolerance:g} was not met within max_steps "
        f"{regime.max_steps}"
    )
    return Fit(loss, loss.size, 1, converged, note)


def train_exact(model, a, regime, widths=None):
    """Train ``model`` (Dense layers without biases) to compute ``a``.

    Parameters
    ----------
    model : keras.Sequential
        Built with orthogonal kernels of gain ``regime.init_gain``; its
        kernels are replaced by the trained ones.
    a : ndarray (m, n)
    regime : lowrank.training.regimes.ExactRegime
    widths : list of int, optional
        Layer widths to run the compiled iterations at, each at least the
        model's (:func:`lowrank.training.network.padded_kernels`): the networks of
        every rank of a job then share one compilation; the padding does not
        change a step (:func:`_damped`).

    Returns
    -------
    loss : ndarray (steps,)
        ||A - B||_F^2 / ||A||_F^2 after each iteration.
    converged : bool
        The tolerance was met within ``max_steps``.
    sweeps : int
        Gauss-Newton sweeps done: one per iteration plus one per restart.
    """
    kernels = network_kernels(model)
    first, last = trained_span(kernels)
    scale = float(np.linalg.norm(a)) or 1.0
    target, loss_factor = rotated_target(kernels, first, last, a.T / scale)
    widths = [kernel.shape[1] for kernel in kernels] if widths is None else widths
    padded = padded_kernels(kernels[first:last], widths[first:last])
    # Two distinct copies: TensorFlow traces a call again when aliasing changes.
    trained, before = (
        tuple(keras.ops.convert_to_tensor(w, dtype=regime.dtype) for w in padded)
        for _ in range(2)
    )
    run_call = compiled_iterations(
        regime.steps_per_call, regime.damping, regime.momentum
    )
    ops = keras.ops
    state = (trained, before, ops.convert_to_tensor(math.inf, regime.dtype),
             ops.convert_to_tensor(0.0, regime.dtype),
             ops.convert_to_tensor(0, "int32"))  # fmt: skip
    target = ops.convert_to_tensor(target, dtype=regime.dtype)
    losses, previous, converged = [], math.inf, False
    while len(losses) * regime.steps_per_call < regime.max_steps:
        state, call_losses = run_call(state, target)
        call_losses = to_numpy(call_losses, np.float64)
        losses.append(call_losses)
        check_finite(loss_factor * np.concatenate(losses), "damping")
        current = call_losses[-1]
        if previous - current <= regime.tolerance * current:
            converged = True
            break
        previous = current
    kernels[first:last] = [
        to_numpy(w, np.float64)[: kernel.shape[0], : kernel.shape[1]]
        for w, kernel in zip(state[0], kernels[first:last])
    ]
    kernels[-1] = kernels[-1] * scale
    for layer, kernel in zip(model.layers, kernels):
        layer.kernel.assign(kernel)
    return loss_factor * np.concatenate(losses), converged, int(to_numpy(state[4]))


def trained_span(kernels):
    """(first, last): the layers kernels[first:last] that training updates.

    Leading and trailing square kernels keep their (orthogonal) initial
    values; at least two layers are always trained, so that both factors of
    the bottleneck move.
    """
    first, last = 0, len(kernels)
    while last - first > 2 and _is_square(kernels[first]):
        first += 1
    while last - first > 2 and _is_square(kernels[last - 1]):
        last -= 1
    return first, last


def rotated_target(kernels, first, last, target):
    """The target of the trained layers: T with the fixed end layers undone.

    With fixed leading product P (n x n) and trailing product S (m x m),
    both scaled orthogonal, min ||P X S - T|| = min ||X - P^+ T S^+|| up to
    a constant factor; the pseudo-inverse of a scaled orthogonal matrix is
    its transpose over the squared gain.

    Returns the rotated target and that factor: the loss of the whole network
    is the factor times the loss of the trained layers on the rotated target.
    """
    factor = 1.0
    for kernel in kernels[:first]:
        gain = _squared_gain(kernel)
        target, factor = kernel.T @ target / gain, factor * gain
    for kernel in kernels[last:][::-1]:
        gain = _squared_gain(kernel)
        target, factor = target @ kernel.T / gain, factor * gain
    return target, factor


def _is_square(kernel):
    return kernel.shape[0] == kernel.shape[1]


def _squared_gain(kernel):
    gram = kernel.T @ kernel
    gain = np.trace(gram) / gram.shape[0]
    if not np.allclose(gram, gain * np.eye(gram.shape[0]), atol=1e-6 * gain):
        raise ValueError("a fixed square layer must be a scaled orthogonal matrix")
    return gain


@functools.cache
def compiled_iterations(count, damping, momentum):
    """The compiled :func:`iterations_function`, one per process and settings:
    a later training of the same shapes reuses its trace and compilation."""
    return compile_function(iterations_function(count, damping, momentum))


def iterations_function(count, damping, momentum):
    """A pure function running ``count`` accelerated iterations, for compilation.

    State: (weights, previous weights, previous loss, momentum counter t,
    sweeps done). Returns the new state and the loss after each iteration.
    """
    ops = keras.ops

    def run(state, target):
        def body(step, carry):
            (weights, before, loss, t, sweeps), losses = carry
            beta = t / (t + 3.0) if momentum else 0.0 * t
            start = tuple(w + beta * (w - b) for w, b in zip(weights, before))
            moved, moved_loss = gauss_newton_sweep(start, target, damping)
            restart = ops.greater(moved_loss, loss)
            new, new_loss = ops.cond(
                restart,
                lambda: gauss_newton_sweep(weights, target, damping),
                lambda: (moved, moved_loss),
            )
            t = ops.where(restart, 0.0, t + 1.0)
            sweeps = sweeps + 1 + ops.cast(restart, "int32")
            losses = ops.slice_update(losses, [step], ops.reshape(new_loss, (1,)))
            return (new, weights, new_loss, t, sweeps), losses

        losses = ops.zeros((count,), dtype=target.dtype)
        (weights, before, loss, t, sweeps), losses = ops.fori_loop(
            0, count, body, (state, losses)
        )
        # The same containers as the input state, so the next call is not
        # traced again.
        return (tuple(weights), tuple(before), loss, t, sweeps), losses

    return run


def gauss_newton_sweep(weights, target, damping):
    """One pass of exact per-layer Gauss-Newton updates, first layer to last;
    returns the new weights and the loss ||W_1 ... W_L - T||_F^2."""
    ops = keras.ops
    weights = list(weights)
    for i, weight in enumerate(weights):
        left, right = _chain(weights[:i]), _chain(weights[i + 1 :])
        product = weight if left is None else ops.matmul(left, weight)
        residual = (product if right is None else ops.matmul(product, right)) - target
        if right is not None:
            residual = ops.matmul(residual, ops.transpose(right))
        step = residual if left is None else ops.matmul(ops.transpose(left), residual)
        if left is not None:
            step = ops.solve(
                _damped(ops.matmul(ops.transpose(left), left), damping), step
            )
        if right is not None:
            gram = _damped(ops.matmul(right, ops.transpose(right)), damping)
            step = ops.transpose(ops.solve(gram, ops.transpose(step)))
        weights[i] = weight - step
    loss = ops.sum(ops.square(_chain(weights) - target))
    return tuple(weights), loss


def _chain(matrices):
    if not matrices:
        return None
    product = matrices[0]
    for matrix in matrices[1:]:
        product = keras.ops.matmul(product, matrix)
    return product


def _damped(gram, damping):
    ops = keras.ops
    # Scaled by the largest diagonal entry, which zero-padded units do not
    # change (a mean would). The floor of 1 keeps the shift positive when a
    # layer has collapsed to zero (a zero input); targets are normalised, so
    # 1 is on the scale of the data.
    shift = damping * (ops.max(ops.diagonal(gram)) + 1.0)
    return gram + shift * ops.eye(gram.shape[0], dtype=gram.dtype)
