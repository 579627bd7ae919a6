"""Rate-distortion of SVD factor streams and of JPEG, WebP, AVIF and JPEG XL.

Each codec turns an image stack (c, m, n) in [0, 1] into the reconstruction a
decoder would produce and the number of bits it stores, so that quality is
measured on what would actually be decoded. The SVD streams are
:mod:`lowrank.evaluation.svd_streams`.

JPEG (baseline, 4:2:0 chroma subsampling for RGB), WebP (lossy), AVIF and
JPEG XL (the ``pillow-jxl-plugin`` encoder) go through Pillow at each
quality; their bits are the encoded file's bytes times 8, headers included.
"""

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from lowrank.colour import eight_bit_image, rgb_to_ycbcr, rgb_view
from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.svd_streams import (
    ALLOCATED_FORMAT,
    AS_READ,
    SVD_FORMATS,
    YCBCR,
    best_allocation,
    decode_svd,
    encode_svd,
)

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


def rate_distortion_rows(
    stack, decompositions, ranks, qualities, threads=1, mode="rgb"
):
    """Bits per pixel and quality of each SVD format and image codec.

    ``stack`` is the image as read in ``mode`` (``images.mode``) and
    ``decompositions`` the thin SVDs of its channels; every codec is given,
    and every reconstruction measured as, the picture's gray or RGB values.
    A colour picture adds the :data:`ALLOCATED_FORMAT` curve (its YCbCr
    decompositions computed here unless the stack is YCbCr), each point
    with the bits of the equal-rank ``q8`` stream at its rank for budget.
    The points are encoded, decoded and scored in ``threads`` threads:
    Pillow's encoders, NumPy's products and SciPy's filters release the GIL.

    Returns
    -------
    list of dict with keys method, rows, cols, rank, ranks, factor_bits,
    quality, bits, bpp and the measures of
    :data:`lowrank.evaluation.image_quality.QUALITY_COLUMNS` (for the
    allocated format ``ranks`` and ``factor_bits`` are "Y/Cb/Cr": each
    channel's rank and bits a factor entry)
    """
    from lowrank.evaluation.image_quality import QualityReference

    picture = rgb_view(stack, mode)
    colour = YCBCR if mode == "ycbcr" else AS_READ
    pixels = stack.shape[1] * stack.shape[2]
    reference = QualityReference(picture)
    points = [(f"svd-{fmt}", rank, None) for fmt in SVD_FORMATS for rank in ranks]
    if stack.shape[0] == 3:
        ycc = decompositions if mode == "ycbcr" else _ycbcr_svds(stack)
        points += [(f"svd-{ALLOCATED_FORMAT}", rank, None) for rank in ranks]
    points += [
        (codec, None, quality) for codec in IMAGE_CODECS for quality in qualities
    ]

    def row(point):
        method, rank, quality = point
        layout = {"ranks": "", "factor_bits": ""}
        if rank is None:
            reconstruction, bits = image_codec(picture, method, quality)
        elif method == f"svd-{ALLOCATED_FORMAT}":
            budget = 8 * len(encode_svd(decompositions, rank, "q8", colour))
            reconstruction, bits, layout = _allocated_point(ycc, picture, budget)
        else:
            fmt = method.removeprefix("svd-")
            data = encode_svd(decompositions, rank, fmt, colour)
            reconstruction, bits = decode_svd(data), 8 * len(data)
        return {
            "method": method,
            "rows": stack.shape[1],
            "cols": stack.shape[2],
            "rank": rank,
            **layout,
            "quality": quality,
            "bits": bits,
            "bpp": bits / pixels,
            **reference(reconstruction),
        }

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(row, points))


def _ycbcr_svds(rgb):
    return [thin_svd(channel) for channel in rgb_to_ycbcr(rgb)]


def _allocated_point(ycc, picture, budget):
    """The allocated stream's reconstruction, bits and layout columns."""
    data, reconstruction, ranks, widths = best_allocation(ycc, picture, budget)
    layout = {
        "ranks": "/".join(map(str, ranks)),
        "factor_bits": "/".join(map(str, widths)),
    }
    return reconstruction, 8 * len(data), layout
