"""The methods compared: each turns an input and a rank into a :class:`Record`.

``svd`` truncates the stored decomposition (here); ``nn-paper`` and ``nn-exact``
train a bottleneck network per channel (:func:`lowrank.training.train_record`,
kept apart so that only training imports Keras). Evaluation, storage and plots
treat all records alike.
"""

import numpy as np

from lowrank.metrics import numerical_rank, svd_stored_numbers
from lowrank.records import Record


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
        numerical_rank=max(numerical_rank(channel) for channel in approximation),
        loss=np.zeros((channels, 0)),
    )
