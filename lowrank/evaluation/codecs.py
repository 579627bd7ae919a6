"""Rate-distortion of SVD factor storage formats and of JPEG, WebP, AVIF and
JPEG XL.

Each codec turns an image stack (c, m, n) in [0, 1] into the reconstruction a
decoder would produce and the number of bits it stores, so that quality is
measured on what would actually be decoded.

SVD factor formats (rank k), written as a real byte stream by
:func:`encode_svd` and read back by :func:`decode_svd`, so that the rate is
the stream's length and the quality that of what a decoder reads:

- a 20-byte header: magic ``LRSV``, version, format, channels, m, n, k;
- per channel, ``f32`` / ``f16``: s_k, U_k, V_k^T as float32 / float16
  (k (m + n + 1) numbers);
- per channel, ``q8``: s_k as float32, then for U_k (per column) and V_k^T
  (per row) the minimum and maximum as float32 and 8-bit codes on the uniform
  grid between them: 8 k (m + n) + 32 k + 4 * 32 k bits.

- ``ycc`` (colour images): the factors of the Y, Cb and Cr channels
  (:mod:`lowrank.evaluation.colour`) in ``q8``, each channel at its own
  rank: for a budget of N ranks in all, the N rank-one terms that remove the
  most squared RGB error (singular value squared, times the channel's weight
  in RGB; every term costs the same bits), so chroma gets fewer ranks than
  luma where it carries less. The header adds the three ranks (12 bytes).

JPEG (baseline, 4:2:0 chroma subsampling for RGB), WebP (lossy), AVIF and
JPEG XL (the ``pillow-jxl-plugin`` encoder) go through Pillow at each
quality; their bits are the encoded file's bytes times 8, headers included.
"""

import io
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.colour import (
    eight_bit_image,
    rgb_error_weights,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)

SVD_FORMATS = ("f32", "f16", "q8")
ALLOCATED_FORMAT = "ycc"  # YCbCr, ranks allocated per channel, q8 factors
# Method name -> Pillow format of the image codecs compared with the SVD.
IMAGE_CODECS = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF", "jxl": "JXL"}
# Each encoder's speed setting, named so that it is ours to state: the
# defaults of the reference command-line encoders (cjpeg baseline with
# standard Huffman tables, cwebp -m 4, avifenc -s 6, cjxl -e 7), which are
# also the Pillow plugins' defaults.
ENCODER_SETTINGS = {
    "jpeg": {"optimize": False},
    "webp": {"method": 4},
    "avif": {"speed": 6},
    "jxl": {"effort": 7},
}


HEADER = struct.Struct("<4sBBHIII")  # magic, version, format, c, m, n, k
CHANNEL_RANKS = struct.Struct("<III")  # the ycc format's rank per channel
MAGIC, VERSION = b"LRSV", 1
STREAM_FORMATS = (*SVD_FORMATS, ALLOCATED_FORMAT)


def encode_svd(decompositions, rank, fmt):
    """The rank-``rank`` factors of every channel as a byte stream of format
    ``fmt`` (one of :data:`SVD_FORMATS`)."""
    if fmt not in SVD_FORMATS:
        raise ValueError(f"format must be one of {SVD_FORMATS}, got {fmt!r}")
    m, n = decompositions[0].shape
    parts = [HEADER.pack(MAGIC, VERSION, SVD_FORMATS.index(fmt),
                         len(decompositions), m, n, rank)]  # fmt: skip
    dtype = "<f4" if fmt == "f32" else "<f2"
    for d in decompositions:
        if fmt == "q8":
            parts += _q8_bytes(d, rank)
        else:
            factors = (d.s[:rank], d.u[:, :rank], d.vt[:rank])
            parts += [x.astype(dtype).tobytes() for x in factors]
    return b"".join(parts)


def decode_svd(data):
    """The (c, m, n) reconstruction a decoder reads from the bytes of
    :func:`encode_svd` or :func:`encode_allocated`."""
    magic, version, code, channels, m, n, rank = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a lowrank SVD stream (magic {magic!r}, v{version})")
    fmt, reader = STREAM_FORMATS[code], _Reader(data, HEADER.size)
    if fmt == ALLOCATED_FORMAT:
        ranks = CHANNEL_RANKS.unpack_from(data, HEADER.size)
        reader.offset += CHANNEL_RANKS.size
        stack = [_q8_channel(reader, k, m, n) for k in ranks]
        return ycbcr_to_rgb(np.stack(stack))
    if fmt == "q8":
        return np.stack([_q8_channel(reader, rank, m, n) for _ in range(channels)])
    dtype = "<f4" if fmt == "f32" else "<f2"
    stack = []
    for _ in range(channels):
        s = reader.array(dtype, rank)
        u = reader.array(dtype, m * rank).reshape(m, rank)
        vt = reader.array(dtype, rank * n).reshape(rank, n)
        stack.append((u * s) @ vt)
    return np.stack(stack)


def _q8_channel(reader, rank, m, n):
    s = reader.array("<f4", rank)
    u = _dequantised(reader, rank, m).T
    vt = _dequantised(reader, rank, n)
    return (u * s) @ vt


def allocated_ranks(decompositions, total):
    """Y, Cb and Cr ranks for ``total`` rank-one terms in all: the terms that
    remove the most squared RGB error, in order (:data:`ALLOCATED_FORMAT`)."""
    weights = rgb_error_weights()
    gains = [
        (weights[c] * value**2, c)
        for c, d in enumerate(decompositions)
        for value in d.s[: min(d.shape) - 1]
    ]
    ranks = [0, 0, 0]
    for _, channel in sorted(gains, key=lambda gain: -gain[0])[:total]:
        ranks[channel] += 1
    return tuple(ranks)


def encode_allocated(decompositions, ranks):
    """The Y, Cb, Cr factors at their own ``ranks``, q8, as a byte stream."""
    m, n = decompositions[0].shape
    code = STREAM_FORMATS.index(ALLOCATED_FORMAT)
    parts = [HEADER.pack(MAGIC, VERSION, code, 3, m, n, 0), CHANNEL_RANKS.pack(*ranks)]
    for d, rank in zip(decompositions, ranks):
        parts += _q8_bytes(d, rank)
    return b"".join(parts)


def _q8_bytes(d, rank):
    """s_k as float32, then U_k (by column) and V_k^T (by row) quantised."""
    return [
        d.s[:rank].astype("<f4").tobytes(),
        *_quantised_bytes(d.u[:, :rank].T),
        *_quantised_bytes(d.vt[:rank]),
    ]


def _quantised_bytes(rows):
    """Each row's float32 minimum and maximum, then its 8-bit codes."""
    low = rows.min(axis=1).astype("<f4")
    high = rows.max(axis=1).astype("<f4")
    step = _step(low, high)
    codes = np.round((rows - low[:, None]) / step[:, None]).clip(0, 255)
    return [low.tobytes(), high.tobytes(), codes.astype(np.uint8).tobytes()]


def _dequantised(reader, count, length):
    low, high = reader.array("<f4", count), reader.array("<f4", count)
    codes = reader.array(np.uint8, count * length).reshape(count, length)
    return low[:, None] + codes * _step(low, high)[:, None]


def _step(low, high):
    low, high = low.astype(np.float64), high.astype(np.float64)
    return np.where(high > low, (high - low) / 255.0, 1.0)


class _Reader:
    """Consecutive arrays out of a byte string, as float64."""

    def __init__(self, data, offset):
        self.data, self.offset = data, offset

    def array(self, dtype, count):
        dtype = np.dtype(dtype)
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += dtype.itemsize * count
        return values.astype(np.float64)


def image_codec(stack, codec, quality):
    """Encode a (c, m, n) stack in [0, 1] with ``codec`` (a key of
    :data:`IMAGE_CODECS`) at ``quality``; return (decoded stack, bits)."""
    if codec == "jxl":
        import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
    image = eight_bit_image(np.asarray(stack, dtype=np.float64))
    buffer = io.BytesIO()
    # The JXL plugin refuses quality 100; lossless is what it means there.
    level = {"lossless": True} if codec == "jxl" and quality >= 100 else {}
    image.save(
        buffer, format=IMAGE_CODECS[codec], quality=int(quality),
        **ENCODER_SETTINGS[codec], **level,
    )  # fmt: skip
    with Image.open(buffer) as decoded:
        decoded = decoded.convert(image.mode)
        values = np.asarray(decoded, dtype=np.float64) / 255.0
    values = values[np.newaxis] if values.ndim == 2 else np.moveaxis(values, -1, 0)
    return values, 8 * len(buffer.getvalue())


def rate_distortion_ranks(shape, configured=()):
    """Ranks for the SVD curves: 1-10, then about 25 log-spaced up to min(m, n) - 1."""
    limit = min(shape) - 1
    spaced = np.unique(np.round(np.geomspace(1, max(limit, 1), 35)).astype(int))
    ranks = set(range(1, min(10, limit) + 1)) | set(spaced) | set(configured)
    return sorted(int(rank) for rank in ranks if 1 <= rank <= limit)


def rate_distortion_rows(stack, decompositions, ranks, qualities, threads=1):
    """Bits per pixel and quality of each SVD format and image codec.

    ``decompositions`` are the thin SVDs of the stack's channels; a colour
    stack adds the :data:`ALLOCATED_FORMAT` curve, its YCbCr channels
    decomposed here, at the budgets of the equal-rank ``q8`` points (three
    rank-one terms per rank). The points are encoded, decoded and scored in
    ``threads`` threads: Pillow's encoders, NumPy's products and SciPy's
    filters release the GIL.

    Returns
    -------
    list of dict with keys method, rank, quality, bits, bpp and the
    measures of :data:`lowrank.evaluation.image_quality.QUALITY_COLUMNS`
    (``rank`` is the total of the channels' ranks for the allocated format,
    with ``ranks`` "Y/Cb/Cr")
    """
    from lowrank.evaluation.image_quality import QualityReference

    pixels = stack.shape[1] * stack.shape[2]
    reference = QualityReference(stack)
    points = [(f"svd-{fmt}", rank, None) for fmt in SVD_FORMATS for rank in ranks]
    if stack.shape[0] == 3:
        ycc = [thin_svd(channel) for channel in rgb_to_ycbcr(stack)]
        points += [(f"svd-{ALLOCATED_FORMAT}", 3 * rank, None) for rank in ranks]
    points += [
        (codec, None, quality) for codec in IMAGE_CODECS for quality in qualities
    ]

    def row(point):
        method, rank, quality = point
        channel_ranks = ""
        if rank is None:
            reconstruction, bits = image_codec(stack, method, quality)
        elif method == f"svd-{ALLOCATED_FORMAT}":
            allocation = allocated_ranks(ycc, rank)
            channel_ranks = "/".join(map(str, allocation))
            data = encode_allocated(ycc, allocation)
            reconstruction, bits = decode_svd(data), 8 * len(data)
        else:
            data = encode_svd(decompositions, rank, method.removeprefix("svd-"))
            reconstruction, bits = decode_svd(data), 8 * len(data)
        return {
            "method": method,
            "rank": rank,
            "ranks": channel_ranks,
            "quality": quality,
            "bits": bits,
            "bpp": bits / pixels,
            **reference(reconstruction),
        }

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(row, points))
