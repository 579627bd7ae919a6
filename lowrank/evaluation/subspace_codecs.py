"""A method's rank-k subspace of an image's block matrices, coded as a codec.

In a study with ``images.layout`` in blocks, a method's rank-k approximation
of a channel's block matrix spans k directions of block space: for the SVD,
the first k basis images of the KLT; for a linear bottleneck network, the
span of its two weight matrices (its approximation's row space; Baldi &
Hornik: at the optimum, the same subspace). Coding the image's blocks in
that basis with the block codec (:mod:`lowrank.evaluation.block_streams`:
basis, quantised coefficients and entropy coding in one stream) makes each
method a codec of the same kind, ``<method>-coded``, whose curve shows what
its subspace is worth in bits. The channels are coded as the study read
them (R, G, B; Y, Cb, Cr; or gray), the space its methods approximated.
"""

import numpy as np

from lowrank.evaluation.block_streams import BlockCodec, basis_bits, encode_blocks
from lowrank.inputs.layouts import LAYOUTS
from lowrank.methods import CODED_SUFFIX


class SubspaceCodec(BlockCodec):
    """The block codec with each channel's basis fixed: a method's subspace."""

    def __init__(self, method, bases, rank, layout, mode):
        self.name = f"{method}{CODED_SUFFIX}"
        self.bases, self.block, self.colour = bases, LAYOUTS[layout], mode == "ycbcr"
        self.settings = {
            **BlockCodec.settings, "block": self.block,
            "basis": f"{method}, rank {rank}", "channels": "as read",
        }  # fmt: skip

    def encode(self, picture, point):
        return encode_blocks(
            picture, point, block=self.block, colour=self.colour, bases=self.bases,
            basis_bits=basis_bits(self.block**2, point),
        )  # fmt: skip


def subspace_codecs(item, decompositions, records):
    """``svd-coded`` and one ``<network>-coded`` per finite network record of
    ``records`` (one rank), for an image ``item`` in a block layout; none for
    a whole layout."""
    if item.layout == "whole" or not records:
        return []
    rank = records[0].rank
    codecs = [
        SubspaceCodec("svd", [d.vt[:rank].T for d in decompositions], rank,
                      item.layout, item.mode)
    ]  # fmt: skip
    for record in records:
        if np.isfinite(record.approximation).all():
            bases = [np.linalg.svd(b, full_matrices=False)[2][:rank].T
                     for b in record.approximation]  # fmt: skip
            codecs.append(
                SubspaceCodec(record.method, bases, rank, item.layout, item.mode)
            )
    return codecs
