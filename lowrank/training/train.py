"""Train a linear bottleneck network to act like a matrix A, and record it.

The regimes are registered in :mod:`lowrank.training.regimes`: ``paper`` reproduces
Bleckel's set-up (:mod:`lowrank.training.paper_training`) and plateaus above the SVD
error at ranks > 1; ``exact`` reaches the SVD optimum
(:mod:`lowrank.training.exact_training`). This module runs a regime's trainer, checks
the learned map's rank and turns the results of every channel into a
:class:`lowrank.records.Record`.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np

from lowrank.decomposition.svd import check_rank as check_rank_range
from lowrank.errors import TrainingDivergedError
from lowrank.records import Record, network_record_path, read_matrix, write_record
from lowrank.training.backend import (
    backend_name,
    gpus_seen,
    placed_device,
    prepare_backend,
)
from lowrank.training.device_policy import device_warning
from lowrank.training.network import (
    layer_widths,
    learned_matrix,
    rank_check,
    rounding_scale,
    shared_widths,
)
from lowrank.training.regimes import (
    network_method,
    regime_from_settings,
    regime_info,
)
from lowrank.training.resource_usage import ResourceUsage

STATUSES = ("ok", "not-converged", "rank-check-failed", "diverged")


@dataclass
class TrainingResult:
    """What a training run produced.

    Attributes
    ----------
    model : keras.Model
        Maps x to B x (+ bias for ``paper`` with ``use_bias``).
    matrix : ndarray (m, n)
        The learned B, from :func:`lowrank.training.network.learned_matrix`; NaN when
        the training diverged.
    loss : ndarray (steps // loss_every,)
        ``paper``: the expected MSE after every ``loss_every``-th optimizer step
        (:func:`lowrank.training.paper_training.train_paper`). ``exact``:
        relative squared Frobenius error ||A - B||_F^2 / ||A||_F^2 after each iteration.
    numerical_rank : int
        Of B, relative to the network's rounding scale
        (:func:`lowrank.training.network.rank_check`).
    steps : int
        Optimizer steps (``paper``) or accelerated iterations (``exact``).
    loss_every : int
        Steps between two loss entries (1 for ``exact``).
    seconds : float
        Wall time of training, compilation included.
    converged : bool
        ``exact``: the tolerance was met within ``max_steps``; ``paper``: True.
    settings : dict
    device : str
        Where the framework holds the trained weights
        (:func:`lowrank.training.backend.placed_device`): ``CPU`` or ``GPU:0 <name>``.
    status : str
        One of :data:`STATUSES`: ``ok``; ``not-converged`` (``exact`` ran out
        of ``max_steps``; B is still its best iterate); ``rank-check-failed``
        (B's numerical rank exceeds ``rank``); ``diverged`` (the loss became
        NaN or infinite).
    message : str
        Why, for any status but ``ok``.
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
    device: str
    status: str = "ok"
    message: str = ""


def train(a, rank, regime, widths=None):
    """Train a rank-``rank`` bottleneck network to act like ``a``.

    Expected failures (divergence, a failed rank check, no convergence within
    the step budget) are results: they come back as the result's ``status``
    and ``message``, not as exceptions.

    Parameters
    ----------
    a : ndarray (m, n)
    rank : int
    regime : the settings object of a registered regime
    widths : list of int, optional
        The layer widths the compiled training runs at, zero-padded
        (:func:`lowrank.training.network.padded_kernels`), so that the ranks of a job
        share one compilation; the network keeps its own widths.

    Returns
    -------
    TrainingResult
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected an (m, n) matrix, got shape {a.shape}")
    info = regime_info(regime)
    # No seeding of the backend: nothing draws from its generator (weights
    # come from lowrank.training.initial_weights, samples from NumPy).
    prepare_backend(regime.dtype)
    start = time.perf_counter()
    status, message = "ok", ""
    try:
        model = info.build(a, rank, regime)
        fit = info.train(model, a, regime, widths)
        loss, steps, loss_every = fit.loss, fit.steps, fit.loss_every
        converged = fit.converged
    except TrainingDivergedError as error:
        loss, loss_every, converged = error.loss, error.every, False
        steps = loss.size * loss_every
        status, message = "diverged", str(error)
    seconds = time.perf_counter() - start
    if status == "diverged":
        matrix, found = np.full(a.shape, np.nan), 0
    else:
        matrix = learned_matrix(model)
        found, failure = rank_check(matrix, rank, regime.dtype, rounding_scale(model))
        if failure:
            status, message = "rank-check-failed", failure
        elif not converged:
            status = "not-converged"
            message = f"loss {loss[-1]:.3g} after {steps} iterations: {fit.note}"
    settings = {"regime": type(regime).__name__, **asdict(regime)}
    return TrainingResult(
        model, matrix, loss, found, steps, loss_every, seconds, converged, settings,
        placed_device(model.layers[0].kernel), status, message,
    )  # fmt: skip


def train_record(item, rank, regime_name, settings, widths=None):
    """Train one network per channel of ``item`` and return their :class:`Record`.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    rank : int
    regime_name : str
        A key of :data:`lowrank.training.regimes.REGIMES`.
    settings : mapping
        The regime's settings, as accepted by
        :func:`lowrank.training.regimes.regime_from_settings`.
    widths : list of int, optional
        Passed to :func:`train`.
    """
    check_rank_range(rank, min(item.matrix.shape[1:]))
    regime = regime_from_settings(regime_name, settings)
    results = [train(channel, rank, regime, widths) for channel in item.matrix]
    loss = np.full((len(results), max(r.loss.size for r in results)), np.nan)
    for row, result in zip(loss, results):
        row[: result.loss.size] = result.loss
    worst = max(results, key=lambda result: STATUSES.index(result.status))
    message = worst.message
    if len(results) > 1 and worst.status != "ok":
        message = f"channel {results.index(worst)}: {message}"
    return Record(
        approximation=np.stack([result.matrix for result in results]),
        input=item.input,
        rank=rank,
        method=network_method(regime_name),
        seed=regime.seed,
        seconds=sum(result.seconds for result in results),
        steps=max(result.steps for result in results),
        loss_every=results[0].loss_every,
        converged=all(result.converged for result in results),
        stored_numbers=sum(result.model.count_params() for result in results),
        loss=loss,
        settings=results[0].settings,
        status=worst.status,
        message=message,
        numerical_rank=max(result.numerical_rank for result in results),
        device=", ".join(sorted({result.device for result in results})),
    )


def train_ranks(matrix_path, ranks, regime_name, settings, folder, gpu="none"):
    """Train ``matrix_path`` at every rank and write one record per rank into
    ``folder`` (:func:`lowrank.records.network_record_path`); yield a line
    per rank as it is done, after a line saying where the first one trained.

    ``gpu`` (:data:`lowrank.training.device_policy.GPU_EXPECTATIONS`): a job scheduled
    on a GPU whose framework sees none warns, in the log and every record's
    message; where a GPU is required it raises
    :class:`lowrank.errors.GPUMissingError` before training.
    """
    backend = backend_name()
    warning = device_warning(gpu, gpus_seen(), backend)
    if warning:
        yield f"warning: {warning}"
    item = read_matrix(matrix_path)
    architecture = regime_from_settings(regime_name, settings).architecture
    rows, columns = item.matrix.shape[1:]
    layouts = [
        layer_widths(
            columns, rows, rank, architecture.design, architecture.before,
            architecture.after,
        )
        for rank in ranks
    ]  # fmt: skip
    for rank, widths in zip(ranks, shared_widths(layouts)):
        usage = ResourceUsage()
        record = train_record(item, rank, regime_name, settings, widths)
        spent = usage.since()
        record.cpu_seconds, record.peak_mb = spent["cpu_seconds"], spent["peak_mb"]
        record.backend = backend
        if warning:
            record.message = "; ".join(filter(None, [record.message, warning]))
        if rank == ranks[0]:
            yield f"trained on: {record.device} ({backend})"
        write_record(network_record_path(folder, rank), record)
        line = (
            f"rank {rank}: {record.steps} steps, {record.seconds:.2f} s, "
            f"{record.cpu_seconds:.2f} CPU s, peak memory {record.peak_mb:.0f} MB"
        )
        yield (
            line
            if record.status == "ok"
            else f"{line}, {record.status}: {record.message}"
        )
