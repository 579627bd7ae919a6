"""The SVD factor streams of :mod:`lowrank.evaluation.svd_streams` as codecs
of the sweep (:mod:`lowrank.evaluation.codec_interface`), one set per image:
their points are ranks of the prepare job's SVD of its matrices, so each is
made for one image's decompositions and ranks (:func:`svd_codecs`).

- ``svd-f32``, ``svd-f16``, ``svd-q8``: the matrices' rank-k factors, at the
  ranks whose stream is no larger than the raw 8-bit picture;
- ``svd-ycc``: at each ``q8`` rank, the YCbCr factors with ranks and code
  widths chosen for that stream's bits (:func:`best_allocation`);
- ``svd-ec``: the same ``svd-ycc`` stream with its codes entropy coded (the
  same picture; its allocation is the ``svd-ycc`` codec's, not made again).
"""

from lowrank.evaluation.codec_interface import Codec
from lowrank.evaluation.once import OncePerKey
from lowrank.evaluation.svd_streams import (
    ALLOCATED_FORMAT,
    CHANNEL_LAYOUT,
    ENTROPY_CODED_FORMAT,
    HEADER,
    SVD_FORMATS,
    VERSION,
    best_allocation,
    decode_svd,
    encode_entropy_coded,
    encode_svd,
    highest_rank_within,
    stream_bytes,
)


class FactorCodec(Codec):
    """One image's rank-k factors in a format of :data:`SVD_FORMATS`."""

    role = "low-rank"
    point_column = "rank"

    def __init__(self, fmt, decompositions, colour, ranks, unlaid):
        self.name, self.fmt = f"svd-{fmt}", fmt
        self.decompositions, self.colour, self.unlaid = decompositions, colour, unlaid
        self.ranks = ranks

    def library(self):
        return f"lowrank svd_streams v{VERSION}"

    def points(self, picture):
        return within_raw(self.fmt, self.decompositions, self.ranks, picture)

    def encode(self, picture, point):
        return encode_svd(self.decompositions, point, self.fmt, self.colour)

    def decode(self, data):
        return self.unlaid(decode_svd(data))


class AllocatedCodec(FactorCodec):
    """``svd-ycc``: at each ``q8`` rank, that stream's bits spent on the
    YCbCr factors (``ycc``, the laid-out YCbCr decompositions) that decode
    closest to the picture (``laid_picture``, the picture laid out)."""

    def __init__(self, ycc, laid_picture, channels_of, ranks, unlaid):
        super().__init__("q8", channels_of, None, ranks, unlaid)
        self.name = f"svd-{ALLOCATED_FORMAT}"
        self.ycc, self.laid_picture = ycc, laid_picture
        # Made once a rank for this codec and its entropy-coded twin.
        self.allocation = OncePerKey(self._allocate)

    def _allocate(self, rank):
        """(bytes, ranks, widths) of the allocated stream at ``rank``'s
        budget."""
        m, n = self.ycc[0].shape
        budget = 8 * stream_bytes("q8", len(self.ycc), m, n, rank)
        data, _, ranks, widths = best_allocation(self.ycc, self.laid_picture, budget)
        return data, ranks, widths

    def encode(self, picture, point):
        return self.allocation(point)[0]

    def columns(self, data):
        return allocation_columns(data)


def allocation_columns(data):
    """The ``ranks`` and ``factor_bits`` columns ("Y/Cb/Cr") of an allocated
    stream, from its header."""
    ranks_widths = CHANNEL_LAYOUT.unpack_from(data, HEADER.size)
    return {
        "ranks": "/".join(map(str, ranks_widths[:3])),
        "factor_bits": "/".join(map(str, ranks_widths[3:])),
    }


class EntropyCodedCodec(FactorCodec):
    """``svd-ec``: the ``svd-ycc`` codec's streams, their codes entropy coded."""

    def __init__(self, allocated):
        super().__init__(
            "q8", allocated.decompositions, None, allocated.ranks, allocated.unlaid
        )
        self.name, self.allocated = f"svd-{ENTROPY_CODED_FORMAT}", allocated

    def encode(self, picture, point):
        _, ranks, widths = self.allocated.allocation(point)
        return encode_entropy_coded(self.allocated.ycc, ranks, widths)

    def columns(self, data):
        return allocation_columns(data)


def within_raw(fmt, decompositions, ranks, picture):
    """The ``ranks`` whose ``fmt`` stream of ``decompositions`` is no larger
    than the raw 8-bit ``picture``: no one would store a picture that way,
    and its measures cost as much as any other point's."""
    m, n = decompositions[0].shape
    raw_bytes = picture.size
    highest = highest_rank_within(fmt, len(decompositions), m, n, raw_bytes)
    return [rank for rank in ranks if rank <= highest]


def svd_codecs(decompositions, colour, ranks, unlaid, ycc=None, laid_picture=None):
    """The SVD factor codecs of one image: the :data:`SVD_FORMATS` of its
    ``decompositions`` (read in ``colour``), and where ``ycc`` (the YCbCr
    decompositions of a colour picture) is given, ``svd-ycc`` and
    ``svd-ec``. ``unlaid`` turns decoded matrices into the picture."""
    codecs = [
        FactorCodec(fmt, decompositions, colour, ranks, unlaid) for fmt in SVD_FORMATS
    ]
    if ycc is not None:
        allocated = AllocatedCodec(ycc, laid_picture, decompositions, ranks, unlaid)
        codecs += [allocated, EntropyCodedCodec(allocated)]
    return codecs
