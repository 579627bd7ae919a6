"""Rate-distortion of SVD factor storage formats and of JPEG, WebP and AVIF.

Each codec turns an image stack (c, m, n) in [0, 1] into the reconstruction a
decoder would produce and the number of bits it stores, so that quality is
measured on what would actually be decoded.

SVD factor formats (per channel, rank k):

- ``f32`` / ``f16``: U_k, s_k, V_k stored as float32 / float16:
  k (m + n + 1) numbers of 32 / 16 bits.
- ``q8``: s_k as float32; every column of U_k and row of V_k quantised to
  8-bit codes on a uniform grid between its own minimum and maximum, which
  are stored as float32: 8 k (m + n) + 32 k + 4 * 32 k bits.

JPEG (baseline, 4:2:0 chroma subsampling for RGB), WebP (lossy) and AVIF go
through Pillow at each quality; their bits are the encoded file's bytes times
8, headers included.
"""

import io

import numpy as np
from PIL import Image

SVD_FORMATS = ("f32", "f16", "q8")
# Method name -> Pillow format of the image codecs compared with the SVD.
IMAGE_CODECS = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}


def svd_codec(decomposition, rank, fmt):
    """Decode rank-``rank`` factors stored in format ``fmt``.

    Parameters
    ----------
    decomposition : lowrank.svd.SVD
    rank : int
    fmt : {"f32", "f16", "q8"}

    Returns
    -------
    reconstruction : ndarray (m, n), float64
    bits : int
    """
    u, s, vt = (
        decomposition.u[:, :rank],
        decomposition.s[:rank],
        decomposition.vt[:rank],
    )
    m, n = decomposition.shape
    if fmt in ("f32", "f16"):
        dtype = np.float32 if fmt == "f32" else np.float16
        u, s, vt = (x.astype(dtype).astype(np.float64) for x in (u, s, vt))
        bits = rank * (m + n + 1) * np.dtype(dtype).itemsize * 8
    elif fmt == "q8":
        u = _quantise(u, axis=0)
        vt = _quantise(vt, axis=1)
        s = s.astype(np.float32).astype(np.float64)
        bits = 8 * rank * (m + n) + 32 * rank + 4 * 32 * rank
    else:
        raise ValueError(f"format must be one of {SVD_FORMATS}, got {fmt!r}")
    return (u * s) @ vt, int(bits)


def _quantise(vectors, axis):
    """Round each vector along ``axis`` to 256 levels between its min and max."""
    low = vectors.min(axis=axis, keepdims=True).astype(np.float32)
    high = vectors.max(axis=axis, keepdims=True).astype(np.float32)
    step = np.where(high > low, (high - low) / 255.0, 1.0).astype(np.float64)
    codes = np.round((vectors - low) / step).clip(0, 255)
    return low + codes * step


def image_codec(stack, codec, quality):
    """Encode a (c, m, n) stack in [0, 1] with ``codec`` (a key of
    :data:`IMAGE_CODECS`) at ``quality``; return (decoded stack, bits)."""
    stack = np.asarray(stack, dtype=np.float64)
    pixels = np.uint8(np.round(np.clip(stack, 0.0, 1.0) * 255))
    image = Image.fromarray(
        pixels[0] if stack.shape[0] == 1 else np.moveaxis(pixels, 0, -1)
    )
    buffer = io.BytesIO()
    image.save(buffer, format=IMAGE_CODECS[codec], quality=int(quality))
    buffer.seek(0)
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
    return sorted(rank for rank in ranks if 1 <= rank <= limit)


def rate_distortion_rows(stack, decompositions, ranks, qualities):
    """Bits per pixel and quality of each SVD format and image codec.

    Returns
    -------
    list of dict with keys method, rank, quality, bits, bpp, psnr, ssim
    """
    from lowrank.metrics import psnr, ssim

    pixels = stack.shape[1] * stack.shape[2]
    rows = []

    def row(method, rank, quality, reconstruction, bits):
        rows.append({
            "method": method,
            "rank": rank,
            "quality": quality,
            "bits": bits,
            "bpp": bits / pixels,
            "psnr": psnr(stack, reconstruction),
            "ssim": ssim(stack, reconstruction),
        })  # fmt: skip

    for fmt in SVD_FORMATS:
        for rank in ranks:
            decoded = [svd_codec(d, rank, fmt) for d in decompositions]
            reconstruction = np.stack([r for r, _ in decoded])
            row(f"svd-{fmt}", rank, None, reconstruction, sum(b for _, b in decoded))
    for codec in IMAGE_CODECS:
        for quality in qualities:
            reconstruction, bits = image_codec(stack, codec, quality)
            row(codec, None, quality, reconstruction, bits)
    return rows
