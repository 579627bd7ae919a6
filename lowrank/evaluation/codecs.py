"""Rate-distortion of SVD factor storage formats and of JPEG, WebP and AVIF.

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

JPEG (baseline, 4:2:0 chroma subsampling for RGB), WebP (lossy) and AVIF go
through Pillow at each quality; their bits are the encoded file's bytes times
8, headers included.
"""

import io
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

SVD_FORMATS = ("f32", "f16", "q8")
# Method name -> Pillow format of the image codecs compared with the SVD.
IMAGE_CODECS = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}
# Each encoder's speed setting, named so that it is ours to state: the
# defaults of the reference command-line encoders (cjpeg baseline with
# standard Huffman tables, cwebp -m 4, avifenc -s 6), which are also
# Pillow's. Slower settings (avifenc -s 0 to 4) save a few per cent of BD-rate
# at several times the encoding time.
ENCODER_SETTINGS = {
    "jpeg": {"optimize": False},
    "webp": {"method": 4},
    "avif": {"speed": 6},
}


HEADER = struct.Struct("<4sBBHIII")  # magic, version, format, c, m, n, k
MAGIC, VERSION = b"LRSV", 1


def encode_svd(decompositions, rank, fmt):
    """The rank-``rank`` factors of every channel as a byte stream of format
    ``fmt`` (one of :data:`SVD_FORMATS`)."""
    if fmt not in SVD_FORMATS:
        raise ValueError(f"format must be one of {SVD_FORMATS}, got {fmt!r}")
    m, n = decompositions[0].shape
    parts = [HEADER.pack(MAGIC, VERSION, SVD_FORMATS.index(fmt),
                         len(decompositions), m, n, rank)]  # fmt: skip
    for d in decompositions:
        u, s, vt = d.u[:, :rank], d.s[:rank], d.vt[:rank]
        if fmt == "q8":
            parts.append(s.astype("<f4").tobytes())
            parts += _quantised_bytes(u.T) + _quantised_bytes(vt)
        else:
            dtype = "<f4" if fmt == "f32" else "<f2"
            parts += [x.astype(dtype).tobytes() for x in (s, u, vt)]
    return b"".join(parts)


def decode_svd(data):
    """The (c, m, n) reconstruction a decoder reads from :func:`encode_svd`'s bytes."""
    magic, version, code, channels, m, n, rank = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a lowrank SVD stream (magic {magic!r}, v{version})")
    fmt, reader = SVD_FORMATS[code], _Reader(data, HEADER.size)
    stack = []
    for _ in range(channels):
        if fmt == "q8":
            s = reader.array("<f4", rank)
            u = _dequantised(reader, rank, m).T
            vt = _dequantised(reader, rank, n)
        else:
            dtype = "<f4" if fmt == "f32" else "<f2"
            s = reader.array(dtype, rank)
            u = reader.array(dtype, m * rank).reshape(m, rank)
            vt = reader.array(dtype, rank * n).reshape(rank, n)
        stack.append((u * s) @ vt)
    return np.stack(stack)


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
    stack = np.asarray(stack, dtype=np.float64)
    pixels = np.uint8(np.round(np.clip(stack, 0.0, 1.0) * 255))
    image = Image.fromarray(
        pixels[0] if stack.shape[0] == 1 else np.moveaxis(pixels, 0, -1)
    )
    buffer = io.BytesIO()
    image.save(
        buffer, format=IMAGE_CODECS[codec], quality=int(quality),
        **ENCODER_SETTINGS[codec],
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

    The points are encoded, decoded and scored in ``threads`` threads:
    Pillow's encoders, NumPy's products and SciPy's filters release the GIL.

    Returns
    -------
    list of dict with keys method, rank, quality, bits, bpp, psnr, ssim,
    SVD formats first (rank by rank), then each codec by quality
    """
    from lowrank.evaluation.metrics import SSIMReference, psnr

    pixels = stack.shape[1] * stack.shape[2]
    reference = SSIMReference(stack)
    points = [(f"svd-{fmt}", rank, None) for fmt in SVD_FORMATS for rank in ranks]
    points += [
        (codec, None, quality) for codec in IMAGE_CODECS for quality in qualities
    ]

    def row(point):
        method, rank, quality = point
        if rank is None:
            reconstruction, bits = image_codec(stack, method, quality)
        else:
            data = encode_svd(decompositions, rank, method.removeprefix("svd-"))
            reconstruction, bits = decode_svd(data), 8 * len(data)
        return {
            "method": method,
            "rank": rank,
            "quality": quality,
            "bits": bits,
            "bpp": bits / pixels,
            "psnr": psnr(stack, reconstruction),
            "ssim": reference(reconstruction),
        }

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(row, points))
