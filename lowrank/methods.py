"""The methods compared: each turns an input and a rank into a :class:`Record`.

``svd`` truncates the stored decomposition (here); ``nn-<regime>``, one per
regime registered in :mod:`lowrank.training.regimes` (``nn-paper``, ``nn-exact``),
trains a bottleneck network per channel
(:func:`lowrank.training.train.train_record`, kept apart so that only training
imports Keras). Evaluation, storage and plots treat all records alike.
"""

import numpy as np

from lowrank.decomposition.svd import rank_of_singular_values
from lowrank.evaluation.metrics import svd_stored_numbers
from lowrank.records import Record
from lowrank.training.regimes import NETWORK_PREFIX, REGIMES, network_method

SVD_STYLE = {"colour": "#000000", "marker": "o"}
# A method's subspace coded as a codec (lowrank.evaluation.subspace_codecs).
CODED_SUFFIX = "-coded"


def regime_of(method):
    """The registered regime a network method trains with, or None for any
    other method (``svd``, the codecs)."""
    if not method.startswith(NETWORK_PREFIX):
        return None
    return REGIMES.get(method.removeprefix(NETWORK_PREFIX))


def is_network(method):
    return regime_of(method) is not None


def compared_methods():
    """``svd`` and every registered network method, in the order shown."""
    return ["svd", *(network_method(name) for name in REGIMES)]


def method_style(method):
    """Colour (hex) and marker of ``svd`` or a network method."""
    info = regime_of(method)
    return SVD_STYLE if info is None else {"colour": info.colour, "marker": info.marker}


def svd_record(item, decompositions, rank):
    """Truncate each channel's SVD to ``rank``.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    decompositions : list of lowrank.decomposition.svd.SVD, one per channel
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
        # The truncation's singular values are the first ``rank`` of the
        # input's: no SVD of the product is needed to count them.
        numerical_rank=max(
            rank_of_singular_values(d.s[:rank], (m, n)) for d in decompositions
        ),
        loss=np.zeros((channels, 0)),
    )
