"""The methods compared: each turns an input and a rank into a :class:`Record`.

``svd`` truncates the stored decomposition; ``nn-paper`` and ``nn-exact`` train
a bottleneck network per channel (importing Keras only when called). Evaluation,
storage and plots treat all records alike.
"""

import numpy as np

from lowrank.metrics import svd_stored_numbers
from lowrank.records import Record
from lowrank.svd import check_rank

METHODS = ("svd", "nn-paper", "nn-exact")


def network_method(regime_name):
    """The method name of a training regime: ``exact`` -> ``nn-exact``."""
    return f"nn-{regime_name}"


def svd_record(item, decompositions, rank):
    """Truncate each channel's SVD to ``rank``.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    decompositions : list of lowrank.svd.SVD, one per channel
    rank : int
    """
    channels, m, n = item.matrix.shape
    approximation = np.stack([d.truncate(rank) for d in decompositions])
    return Record(
        approximation=approximation,
        input=item.input,
        rank=rank,
        method="svd",
        stored_numbers=channels * svd_stored_numbers(m, n, rank),
        loss=np.zeros((channels, 0)),
    )


def network_record(item, rank, regime_name, settings):
    """Train one network per channel of ``item`` under a regime.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    rank : int
    regime_name : {"paper", "exact"}
    settings : mapping
        The regime's settings (see :mod:`lowrank.training`).
    """
    from lowrank import training

    check_rank(rank, min(item.matrix.shape[1:]))
    regime = training.regime_from_settings(regime_name, settings)
    results = [training.train(channel, rank, regime) for channel in item.matrix]
    steps = max(result.steps for result in results)
    loss = np.full((len(results), steps), np.nan)
    for row, result in zip(loss, results):
        row[: result.steps] = result.loss
    return Record(
        approximation=np.stack([result.matrix for result in results]),
        input=item.input,
        rank=rank,
        method=network_method(regime_name),
        seed=regime.seed,
        seconds=sum(result.seconds for result in results),
        steps=steps,
        converged=all(result.converged for result in results),
        stored_numbers=sum(result.model.count_params() for result in results),
        loss=loss,
        settings=results[0].settings,
    )
