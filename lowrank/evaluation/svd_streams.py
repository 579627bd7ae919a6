"""SVD factors as real byte streams, so that a rate is a stream's length and
a quality that of what a decoder reads back.

Every stream starts with a 20-byte header: magic ``LRSV``, version, format,
colour space (0: the channels are the picture's gray or RGB values; 1: they
are Y, Cb and Cr, which the decoder turns into RGB), channels, m, n, k.

- ``f32`` / ``f16``, per channel: s_k, U_k, V_k^T as float32 / float16
  (k (m + n + 1) numbers).
- ``q8``, per channel: s_k as float32, then for U_k (per column) and V_k^T
  (per row) the minimum and maximum as float32 and 8-bit codes on the
  uniform grid between them: 8 k (m + n) + 32 k + 4 * 32 k bits.
- ``ycc``: the Y, Cb and Cr factors, each channel at its own rank and its own
  code width (bits a factor entry, :data:`PRECISIONS`), codes packed; the
  header adds the three ranks and widths (15 bytes). For a budget of bits,
  :func:`best_allocation` tries each pair of widths, spends the budget on
  the rank-one terms that remove the most squared RGB error per bit, and
  keeps the pair whose decoded picture is closest to the original in RGB.
- ``ec``: the ``ycc`` stream of a budget with its codes entropy coded
  (:func:`encode_entropy_coded`): the same picture in fewer bits, which
  tells what entropy coding gains from what the block codec's blocks gain.
  After the ranks and widths, the length of the rest and a CRC-32 of the
  whole stream: a truncated or damaged one is refused (StreamError).
"""

import struct
import zlib

import numpy as np

from lowrank.colour import rgb_error_weights, ycbcr_to_rgb
from lowrank.evaluation.block_streams import StreamError

SVD_FORMATS = ("f32", "f16", "q8")
ALLOCATED_FORMAT = "ycc"  # YCbCr, rank and code width chosen per channel
ENTROPY_CODED_FORMAT = "ec"  # the allocated stream's codes, entropy coded
STREAM_FORMATS = (*SVD_FORMATS, ALLOCATED_FORMAT, ENTROPY_CODED_FORMAT)
# magic, version, format, colour space, channels, m, n, k
HEADER = struct.Struct("<4sBBBBIII")
CHANNEL_LAYOUT = struct.Struct("<3I3B")  # the ycc format's ranks and code widths
# The ec format's length of what follows and CRC-32 of the whole stream.
INTEGRITY = struct.Struct("<II")
MAGIC, VERSION = b"LRSV", 2
AS_READ, YCBCR = 0, 1
# (luma, chroma) code widths the allocated format tries, Cb and Cr sharing
# one: on a photo, each budget's best of all 28 pairs from 8 to 2 bits or
# within a quarter of a decibel of it (bench/allocation_widths_2026-12-02.md).
PRECISIONS = ((8, 8), (8, 6), (6, 6), (6, 5), (5, 4), (4, 4), (4, 3), (3, 2))
# Per rank-one term besides its codes: s as float32, and the float32 minimum
# and maximum of its U column and of its V^T row.
TERM_OVERHEAD_BITS = 32 + 4 * 32


def encode_svd(decompositions, rank, fmt, colour=AS_READ):
    """The rank-``rank`` factors of every channel as a byte stream of format
    ``fmt`` (one of :data:`SVD_FORMATS`); ``colour`` is :data:`YCBCR` where
    the channels are Y, Cb and Cr."""
    if fmt not in SVD_FORMATS:
        raise ValueError(f"format must be one of {SVD_FORMATS}, got {fmt!r}")
    m, n = decompositions[0].shape
    parts = [HEADER.pack(MAGIC, VERSION, SVD_FORMATS.index(fmt), colour,
                         len(decompositions), m, n, rank)]  # fmt: skip
    dtype = "<f4" if fmt == "f32" else "<f2"
    for d in decompositions:
        if fmt == "q8":
            parts += _quantised_factor_bytes(d, rank, 8)
        else:
            factors = (d.s[:rank], d.u[:, :rank], d.vt[:rank])
            parts += [x.astype(dtype).tobytes() for x in factors]
    return b"".join(parts)


def stream_bytes(fmt, channels, m, n, rank):
    """The length of :func:`encode_svd`'s stream of ``channels`` m x n
    channels at ``rank`` in format ``fmt``, without encoding it."""
    return HEADER.size + channels * rank * term_bytes(fmt, m, n)


def highest_rank_within(fmt, channels, m, n, size):
    """The highest rank whose ``fmt`` stream takes at most ``size`` bytes."""
    return max(0, (size - HEADER.size) // (channels * term_bytes(fmt, m, n)))


def term_bytes(fmt, m, n):
    """Bytes a rank-one term of an m x n channel takes in format ``fmt``."""
    if fmt == "q8":
        # s (4 bytes), then for U and for V^T a float32 minimum and maximum
        # (8 bytes) and one byte a code.
        return 4 + 8 + m + 8 + n
    return {"f32": 4, "f16": 2}[fmt] * (m + n + 1)


def encode_allocated(decompositions, ranks, widths):
    """The Y, Cb, Cr factors at their own ``ranks`` and code ``widths``."""
    m, n = decompositions[0].shape
    code = STREAM_FORMATS.index(ALLOCATED_FORMAT)
    parts = [
        HEADER.pack(MAGIC, VERSION, code, YCBCR, 3, m, n, 0),
        CHANNEL_LAYOUT.pack(*ranks, *widths),
    ]
    for d, rank, bits in zip(decompositions, ranks, widths):
        parts += _quantised_factor_bytes(d, rank, bits)
    return b"".join(parts)


def encode_entropy_coded(decompositions, ranks, widths):
    """:func:`encode_allocated`'s stream with its codes entropy coded: the
    same ranks, widths and decoded picture, in fewer bits. Each factor
    vector's codes are coded with a quantised Gaussian of their own mean and
    standard deviation (stored as float16 beside its minimum and maximum),
    by ``constriction``'s ANS coder after every fixed-size field."""
    import constriction

    m, n = decompositions[0].shape
    code = STREAM_FORMATS.index(ENTROPY_CODED_FORMAT)
    parts = [
        HEADER.pack(MAGIC, VERSION, code, YCBCR, 3, m, n, 0),
        CHANNEL_LAYOUT.pack(*ranks, *widths),
    ]
    blocks = []
    for d, rank, bits in zip(decompositions, ranks, widths):
        parts.append(d.s[:rank].astype("<f4").tobytes())
        for rows in (d.u[:, :rank].T, d.vt[:rank]):
            low, high, codes = _codes(rows, bits)
            mean = codes.mean(axis=1).astype("<f2")
            spread = np.maximum(codes.std(axis=1), 0.5).astype("<f2")
            parts += [low.tobytes(), high.tobytes(), mean.tobytes(), spread.tobytes()]
            blocks.append((codes, mean, spread, bits))
    coder = constriction.stream.stack.AnsCoder()
    for codes, mean, spread, bits in reversed(blocks):
        if codes.size:
            coder.encode_reverse(
                codes.ravel().astype(np.int32), _code_model(bits),
                np.repeat(mean.astype(np.float64), codes.shape[1]),
                np.repeat(spread.astype(np.float64), codes.shape[1]),
            )  # fmt: skip
    body = b"".join(parts[2:]) + coder.get_compressed().tobytes()
    head = parts[0] + parts[1]
    return head + INTEGRITY.pack(len(body), zlib.crc32(head + body)) + body


def _code_model(bits):
    import constriction

    return constriction.stream.model.QuantizedGaussian(0, 2**bits - 1)


def decode_svd(data):
    """The (c, m, n) picture a decoder reads from the bytes of
    :func:`encode_svd`, :func:`encode_allocated` or
    :func:`encode_entropy_coded`: gray or RGB values."""
    magic, version, code, colour, channels, m, n, rank = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a lowrank SVD stream (magic {magic!r}, v{version})")
    fmt, reader = STREAM_FORMATS[code], _Reader(data, HEADER.size)
    if fmt == ENTROPY_CODED_FORMAT:
        stack = _entropy_coded_channels(data, reader, m, n)
    elif fmt == ALLOCATED_FORMAT:
        layout = CHANNEL_LAYOUT.unpack_from(data, HEADER.size)
        reader.offset += CHANNEL_LAYOUT.size
        stack = [
            _quantised_channel(reader, k, bits, m, n)
            for k, bits in zip(layout[:3], layout[3:])
        ]
    elif fmt == "q8":
        stack = [_quantised_channel(reader, rank, 8, m, n) for _ in range(channels)]
    else:
        dtype = "<f4" if fmt == "f32" else "<f2"
        stack = []
        for _ in range(channels):
            s = reader.array(dtype, rank)
            u = reader.array(dtype, m * rank).reshape(m, rank)
            vt = reader.array(dtype, rank * n).reshape(rank, n)
            stack.append((u * s) @ vt)
    stack = np.stack(stack)
    return ycbcr_to_rgb(stack) if colour == YCBCR else stack


def best_allocation(ycc, rgb, budget_bits):
    """The allocated stream of the Y, Cb, Cr decompositions ``ycc`` that fits
    ``budget_bits`` and decodes closest (squared error) to the RGB stack
    ``rgb``: (bytes, decoded RGB stack, ranks, widths)."""
    best = None
    for widths in ((luma, chroma, chroma) for luma, chroma in PRECISIONS):
        ranks = allocated_ranks(ycc, budget_bits, widths)
        data = encode_allocated(ycc, ranks, widths)
        decoded = decode_svd(data)
        error = float(np.sum((np.clip(decoded, 0.0, 1.0) - rgb) ** 2))
        if best is None or error < best[0]:
            best = (error, data, decoded, ranks, widths)
    return best[1:]


def allocated_ranks(decompositions, budget_bits, widths):
    """Y, Cb and Cr ranks whose stream fits ``budget_bits`` at code
    ``widths``: the rank-one terms in order of squared RGB error removed per
    bit (a channel's terms come in its own order, as their cost is equal)."""
    m, n = decompositions[0].shape
    # Each of the six code blocks is padded to whole bytes.
    room = budget_bits - 8 * (HEADER.size + CHANNEL_LAYOUT.size) - 6 * 7
    costs = [TERM_OVERHEAD_BITS + bits * (m + n) for bits in widths]
    weights = rgb_error_weights()
    gains = [
        (weights[c] * value**2 / costs[c], c)
        for c, d in enumerate(decompositions)
        for value in d.s[: min(d.shape) - 1]
    ]
    ranks = [0, 0, 0]
    for _, channel in sorted(gains, key=lambda gain: -gain[0]):
        if costs[channel] <= room:
            ranks[channel] += 1
            room -= costs[channel]
    return tuple(ranks)


def _quantised_factor_bytes(d, rank, bits):
    """s_k as float32, then U_k (by column) and V_k^T (by row) quantised."""
    return [
        d.s[:rank].astype("<f4").tobytes(),
        *_quantised_bytes(d.u[:, :rank].T, bits),
        *_quantised_bytes(d.vt[:rank], bits),
    ]


def _quantised_bytes(rows, bits):
    """Each row's float32 minimum and maximum, then its ``bits``-bit codes,
    packed most significant bit first."""
    low, high, codes = _codes(rows, bits)
    return [low.tobytes(), high.tobytes(), _packed(codes.astype(np.uint8), bits)]


def _codes(rows, bits):
    """Each row's float32 minimum and maximum and its ``bits``-bit codes on
    the uniform grid between them."""
    low = rows.min(axis=1).astype("<f4")
    high = rows.max(axis=1).astype("<f4")
    step = _step(low, high, bits)
    codes = np.round((rows - low[:, None]) / step[:, None]).clip(0, 2**bits - 1)
    return low, high, codes.astype(np.int64)


def _entropy_coded_channels(data, reader, m, n):
    """The Y, Cb, Cr planes of :func:`encode_entropy_coded`'s stream, whose
    length and CRC-32 are checked first."""
    import constriction

    start = HEADER.size + CHANNEL_LAYOUT.size
    if len(data) < start + INTEGRITY.size:
        raise StreamError(f"an SVD stream of {len(data)} bytes is truncated")
    length, crc = INTEGRITY.unpack_from(data, start)
    head, body = data[:start], data[start + INTEGRITY.size :]
    if len(body) != length:
        raise StreamError(
            f"the SVD stream holds {len(body)} bytes after its header, the header "
            f"says {length}: truncated or extended"
        )
    if zlib.crc32(head + body) != crc:
        raise StreamError("the SVD stream is corrupted (its CRC-32 does not match)")
    layout = CHANNEL_LAYOUT.unpack_from(data, HEADER.size)
    reader.offset = start + INTEGRITY.size
    fields = []
    for rank, bits in zip(layout[:3], layout[3:]):
        s = reader.array("<f4", rank)
        vectors = [
            [reader.array(dtype, rank) for dtype in ("<f4", "<f4", "<f2", "<f2")]
            for _ in range(2)
        ]
        fields.append((s, rank, bits, vectors))
    words = np.frombuffer(data, np.uint32, offset=reader.offset).copy()
    coder = constriction.stream.stack.AnsCoder(words)
    planes = []
    for s, rank, bits, vectors in fields:
        factors = []
        for length, (low, high, mean, spread) in zip((m, n), vectors):
            codes = coder.decode(
                _code_model(bits), np.repeat(mean, length), np.repeat(spread, length)
            ) if rank else np.zeros(0)  # fmt: skip
            grid = _step(low, high, bits)[:, None]
            factors.append(low[:, None] + codes.reshape(rank, length) * grid)
        planes.append((factors[0].T * s) @ factors[1])
    return planes


def _packed(codes, bits):
    planes = np.unpackbits(codes.reshape(-1, 1), axis=1)[:, 8 - bits :]
    return np.packbits(planes).tobytes()


def _quantised_channel(reader, rank, bits, m, n):
    s = reader.array("<f4", rank)
    u = _dequantised(reader, rank, m, bits).T
    vt = _dequantised(reader, rank, n, bits)
    return (u * s) @ vt


def _dequantised(reader, count, length, bits):
    low, high = reader.array("<f4", count), reader.array("<f4", count)
    codes = reader.codes(count * length, bits).reshape(count, length)
    return low[:, None] + codes * _step(low, high, bits)[:, None]


def _step(low, high, bits):
    low, high = low.astype(np.float64), high.astype(np.float64)
    return np.where(high > low, (high - low) / (2**bits - 1), 1.0)


class _Reader:
    """Consecutive arrays out of a byte string, as float64."""

    def __init__(self, data, offset):
        self.data, self.offset = data, offset

    def array(self, dtype, count):
        dtype = np.dtype(dtype)
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += dtype.itemsize * count
        return values.astype(np.float64)

    def codes(self, count, bits):
        """``count`` packed ``bits``-bit codes."""
        size = (count * bits + 7) // 8
        packed = np.frombuffer(self.data, np.uint8, count=size, offset=self.offset)
        self.offset += size
        planes = np.unpackbits(packed)[: count * bits].reshape(count, bits)
        weights = 1 << np.arange(bits - 1, -1, -1)
        return (planes @ weights).astype(np.float64)
