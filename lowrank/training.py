"""Two ways to train a linear bottleneck network to act like a matrix A.

``paper`` reproduces Bleckel's set-up: Dense layers with biases, He-normal
weights, Adam with Keras defaults, MSE, ``fit`` on random Gaussian vectors x
with targets A x. It plateaus above the SVD error at ranks > 1.

``exact`` reaches the SVD optimum. The linear bottleneck's only minima are
global (Baldi & Hornik 1989) and equal A_k, so the paper's gap is an
optimisation problem, solved here by:

- the exact objective: the identity basis as input, so the loss is
  ||W_1 ... W_L - A^T / ||A||_F||_F^2 (the expected loss over x ~ N(0, I) without
  sampling noise). It equals the relative squared Frobenius error of B.
- no biases: with basis inputs a bias would add a rank-one term 1 b^T and the
  net would no longer be a rank-k map;
- targets scaled by ||A||_F, so the loss is O(1) whatever the image's range;
- orthogonal initialisation (gain 1), far from the saddle at zero where
  small initialisations sit on plateaus (Saxe et al. 2014);
- Gauss-Newton steps per layer (K-FAC, which is exact for linear layers):
  W_i <- W_i - (L^T L + lambda)^-1 grad_i (R R^T + lambda)^-1, L and R the
  products of the layers before and after. A step of length 1 is the exact
  minimiser over that layer, so a sweep over the layers is monotone and needs
  no learning-rate schedule; its convergence rate is (s_{k+1} / s_k)^2 per
  sweep, where first-order methods crawl at (s_k^2 - s_{k+1}^2) / s_1^2;
- float64 arithmetic, because the Gram solves lose about half the digits;
- ``steps_per_call`` sweeps per compiled call (``tf.function`` or
  ``jax.jit``), stopping when the loss fell by less than ``tolerance``
  relative over a call. The criterion never looks at the SVD.
"""

import math
import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np

from lowrank.errors import TrainingDivergedError
from lowrank.methods import network_method
from lowrank.network import affine_map, build_bottleneck, check_rank, learned_matrix
from lowrank.records import Record
from lowrank.svd import check_rank as check_rank_range

REGIMES = ("paper", "exact")
MAX_LOSS_POINTS = 500


@dataclass(frozen=True)
class Architecture:
    """Hidden layout of the network; see :func:`lowrank.network.layer_widths`."""

    design: str = "paper"
    before: tuple = ()
    after: tuple = ()


@dataclass(frozen=True)
class PaperRegime:
    """Bleckel's training set-up, kept to reproduce the paper's numbers."""

    samples: int = 10_000
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    use_bias: bool = True
    initializer: str = "he_normal"
    dtype: str = "float32"
    seed: int = 0
    architecture: Architecture = field(default_factory=Architecture)


@dataclass(frozen=True)
class ExactRegime:
    """Gauss-Newton training on the exact objective (see the module docstring)."""

    max_steps: int = 2_000
    steps_per_call: int = 10
    tolerance: float = 1e-12
    damping: float = 1e-10
    init_gain: float = 1.0
    dtype: str = "float64"
    seed: int = 0
    architecture: Architecture = field(default_factory=Architecture)


@dataclass
class TrainingResult:
    """What a training run produced.

    Attributes
    ----------
    model : keras.Model
        Maps x to B x (+ bias for ``paper``).
    matrix : ndarray (m, n)
        The learned B, from :func:`lowrank.network.learned_matrix`.
    loss : ndarray (steps // loss_every,)
        ``paper``: after every ``loss_every``-th optimizer step, the expected MSE over
        x ~ N(0, I) of the affine net f(x) = B x + c, (||A - B||_F^2 + ||c||^2) / m
        (the quantity Keras estimates per batch, without sampling noise).
        ``exact``: relative squared Frobenius error ||A - B||_F^2 / ||A||_F^2 after
        each sweep.
    numerical_rank : int
    steps : int
        Optimizer steps (``paper``) or Gauss-Newton sweeps (``exact``).
    loss_every : int
        Steps between two loss entries (1 for ``exact``; ``paper`` keeps at
        most :data:`MAX_LOSS_POINTS` entries, since each costs a pass over the
        weights).
    seconds : float
        Wall time of training, compilation included.
    converged : bool
        ``exact``: the tolerance was met within ``max_steps``; ``paper``: True.
    settings : dict
    """

    model: object
    matrix: np.ndarray
    loss: np.ndarray
    numerical_rank: int
    steps: int
    loss_every: int
    seconds: float
    converged: bool
    settings: dict


def regime_from_settings(name, settings):
    """Build a regime object from a plain mapping (a config section)."""
    classes = {"paper": PaperRegime, "exact": ExactRegime}
    if name not in classes:
        raise ValueError(f"regime must be one of {REGIMES}, got {name!r}")
    settings = dict(settings)
    architecture = settings.pop("architecture", {}) or {}
    architecture = Architecture(
        design=architecture.get("design", "paper"),
        before=tuple(architecture.get("before", ())),
        after=tuple(architecture.get("after", ())),
    )
    return classes[name](architecture=architecture, **settings)


def configure_threads(threads):
    """Limit the backend's CPU threads to the job's ``threads``.

    Must run before the first operation; a no-op for backends without the knob.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def train(a, rank, regime):
    """Train a rank-``rank`` bottleneck network to act like ``a``.

    Parameters
    ----------
    a : ndarray (m, n)
    rank : int
    regime : PaperRegime or ExactRegime

    Returns
    -------
    TrainingResult
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected an (m, n) matrix, got shape {a.shape}")
    _prepare_backend(regime.dtype)
    keras.utils.set_random_seed(regime.seed)
    start = time.perf_counter()
    if isinstance(regime, PaperRegime):
        model, loss, steps, loss_every, converged = _train_paper(a, rank, regime)
    elif isinstance(regime, ExactRegime):
        model, loss, converged = _train_exact(a, rank, regime)
        steps, loss_every = loss.size, 1
    else:
        raise TypeError(f"unknown regime {regime!r}")
    seconds = time.perf_counter() - start
    matrix = learned_matrix(model)
    found = check_rank(matrix, rank, dtype=regime.dtype)
    settings = {"regime": type(regime).__name__, **asdict(regime)}
    return TrainingResult(
        model, matrix, loss, found, steps, loss_every, seconds, converged, settings
    )


def train_record(item, rank, regime_name, settings):
    """Train one network per channel of ``item`` and return their :class:`Record`.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    rank : int
    regime_name : {"paper", "exact"}
    settings : mapping
        The regime's settings, as accepted by :func:`regime_from_settings`.
    """
    check_rank_range(rank, min(item.matrix.shape[1:]))
    regime = regime_from_settings(regime_name, settings)
    results = [train(channel, rank, regime) for channel in item.matrix]
    steps = max(result.steps for result in results)
    loss = np.full((len(results), max(r.loss.size for r in results)), np.nan)
    for row, result in zip(loss, results):
        row[: result.loss.size] = result.loss
    return Record(
        approximation=np.stack([result.matrix for result in results]),
        input=item.input,
        rank=rank,
        method=network_method(regime_name),
        seed=regime.seed,
        seconds=sum(result.seconds for result in results),
        steps=steps,
        loss_every=results[0].loss_every,
        converged=all(result.converged for result in results),
        stored_numbers=sum(result.model.count_params() for result in results),
        loss=loss,
        settings=results[0].settings,
    )


def _build(a, rank, regime, use_bias, initializer):
    layout = regime.architecture
    m, n = a.shape
    return build_bottleneck(
        n,
        m,
        rank,
        design=layout.design,
        before=layout.before,
        after=layout.after,
        use_bias=use_bias,
        initializer=initializer,
        dtype=regime.dtype,
    )


def _train_paper(a, rank, regime):
    model = _build(a, rank, regime, regime.use_bias, regime.initializer)
    rng = np.random.default_rng(regime.seed)
    x = rng.standard_normal((regime.samples, a.shape[1])).astype(regime.dtype)
    y = (x @ a.T).astype(regime.dtype)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=regime.learning_rate), loss="mse"
    )
    steps = regime.epochs * -(-regime.samples // regime.batch_size)
    loss_every = max(1, -(-steps // MAX_LOSS_POINTS))
    recorder = _ExpectedLoss(a, loss_every)
    model.fit(
        x,
        y,
        epochs=regime.epochs,
        batch_size=regime.batch_size,
        verbose=0,
        callbacks=[recorder],
    )
    loss = np.asarray(recorder.losses, dtype=np.float64)
    _check_finite(loss, "learning_rate")
    return model, loss, steps, loss_every, True


class _ExpectedLoss(keras.callbacks.Callback):
    """Record (||A - B||_F^2 + ||c||^2) / m after every ``every``-th step."""

    def __init__(self, a, every):
        super().__init__()
        self.a, self.every, self.steps, self.losses = a, every, 0, []

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % self.every:
            return
        matrix, offset = affine_map(self.model)
        error = np.sum((self.a - matrix) ** 2) + np.sum(offset**2)
        self.losses.append(error / self.a.shape[0])


def _train_exact(a, rank, regime):
    initializer = keras.initializers.Orthogonal(gain=regime.init_gain, seed=regime.seed)
    model = _build(a, rank, regime, use_bias=False, initializer=initializer)
    scale = float(np.linalg.norm(a)) or 1.0
    target = keras.ops.convert_to_tensor(a.T / scale, dtype=regime.dtype)
    weights = tuple(layer.kernel.value for layer in model.layers)
    run_call = _compile(_sweeps_function(regime.steps_per_call, regime.damping))
    losses, previous, converged = [], math.inf, False
    while len(losses) * regime.steps_per_call < regime.max_steps:
        weights, call_losses = run_call(weights, target)
        call_losses = np.asarray(keras.ops.convert_to_numpy(call_losses), np.float64)
        losses.append(call_losses)
        _check_finite(call_losses, "damping")
        current = call_losses[-1]
        if previous - current <= regime.tolerance * current:
            converged = True
            break
        previous = current
    final_weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in weights]
    final_weights[-1] = final_weights[-1] * scale
    for layer, weight in zip(model.layers, final_weights):
        layer.kernel.assign(weight)
    return model, np.concatenate(losses), converged


def _check_finite(loss, setting):
    if not np.all(np.isfinite(loss)):
        step = int(np.argmin(np.isfinite(loss)))
        raise TrainingDivergedError(
            f"training diverged: the loss became {loss[step]} at step {step + 1}; "
            f"lower the regime's {setting} setting or check the input for NaN"
        )


def _sweeps_function(count, damping):
    """A pure function running ``count`` Gauss-Newton sweeps, for compilation."""
    ops = keras.ops

    def run(weights, target):
        def body(step, state):
            weights, losses = state
            weights, loss = _gauss_newton_sweep(weights, target, damping)
            losses = ops.slice_update(losses, [step], ops.reshape(loss, (1,)))
            return weights, losses

        losses = ops.zeros((count,), dtype=target.dtype)
        return ops.fori_loop(0, count, body, (tuple(weights), losses))

    return run


def _gauss_newton_sweep(weights, target, damping):
    """One pass of exact per-layer Gauss-Newton updates, first layer to last."""
    ops = keras.ops
    weights = list(weights)
    for i, weight in enumerate(weights):
        left, right = _chain(weights[:i]), _chain(weights[i + 1 :])
        product = weight if left is None else ops.matmul(left, weight)
        product = product if right is None else ops.matmul(product, right)
        gradient = product - target
        if right is not None:
            gradient = ops.matmul(gradient, ops.transpose(right))
        if left is not None:
            gradient = ops.matmul(ops.transpose(left), gradient)
        step = gradient
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
    size = gram.shape[0]
    # The floor of 1 keeps the shift positive when a layer has collapsed to zero
    # (a zero input); targets are normalised, so 1 is on the scale of the data.
    shift = damping * (ops.trace(gram) / size + 1.0)
    return gram + shift * ops.eye(size, dtype=gram.dtype)


def _prepare_backend(dtype):
    """Make the backend reproducible and honour ``dtype``.

    TensorFlow picks kernels nondeterministically unless asked not to; JAX
    computes float64 as float32 unless told otherwise.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if backend == "jax" and dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def _compile(function):
    """Compile ``function`` with the backend's tracer: one call runs many steps."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function
