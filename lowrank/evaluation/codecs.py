"""Rate-distortion of SVD factor streams, the block low-rank codec, the
anchors (JPEG, WebP, AVIF, JPEG XL, MozJPEG, JPEG 2000, HEVC) and the codecs
of plugins.

Each codec turns an image stack (c, m, n) in [0, 1] into the reconstruction a
decoder would produce and the number of bits it stores, so that quality is
measured on what would actually be decoded. The SVD streams are
:mod:`lowrank.evaluation.svd_streams`.

JPEG (libjpeg-turbo, optimised Huffman tables, 4:2:0 and 4:4:4 chroma for
RGB), WebP (lossy), AVIF (as Pillow's plugin encodes it, and 4:4:4 tuned for PSNR) and
JPEG XL (the ``pillow-jxl-plugin`` encoder) go through Pillow at each
quality; their bits are the encoded file's bytes times 8, headers included.
MozJPEG, JPEG 2000 and HEVC are :mod:`lowrank.evaluation.anchor_codecs`.
Each row names the encoder, its library version and settings.
"""

import functools
import hashlib
import importlib.metadata
import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import PIL
from PIL import features
from threadpoolctl import threadpool_limits

from lowrank.colour import eight_bit_image, rgb_to_ycbcr, rgb_view
from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.anchor_codecs import ANCHOR_CODECS, pillow_decoded
from lowrank.evaluation.block_streams import BlockCodec
from lowrank.evaluation.codec_interface import Codec, plugin_codecs
from lowrank.evaluation.once import OncePerKey
from lowrank.evaluation.svd_codecs import svd_codecs
from lowrank.evaluation.svd_streams import (
    AS_READ,
    SVD_FORMATS,
    YCBCR,
    highest_rank_within,
)
from lowrank.inputs.layouts import laid_out
from lowrank.inputs.layouts import picture as picture_of

# Log-spaced SVD ranks a curve is swept at (rate_distortion_ranks).
LADDER_POINTS = 18
# Method name -> Pillow format of the image codecs compared with the SVD.
IMAGE_CODECS = {
    "jpeg": "JPEG", "jpeg-444": "JPEG", "webp": "WEBP", "avif": "AVIF",
    "avif-444-psnr": "AVIF", "jxl": "JXL",
}  # fmt: skip
# Each encoder's settings, ours to state (docs/design.md, "The report"):
# the speed of the reference command-line encoder (cwebp -m 4, avifenc -s 6,
# cjxl -e 7); JPEG with Huffman tables optimised per image (cjpeg -optimize:
# the same pixels in fewer bits, so the stronger anchor at no cost); AVIF
# twice: as Pillow's plugin encodes by default (4:2:0, the encoder's own
# tuning) and as the strongest anchor for PSNR (4:4:4, tuned for PSNR),
# since avifenc keeps 4:4:4 for PNG input where Pillow subsamples.
ENCODER_SETTINGS = {
    "jpeg": {"optimize": True, "subsampling": "4:2:0"},
    "jpeg-444": {"optimize": True, "subsampling": "4:4:4"},
    "webp": {"method": 4},
    "avif": {"speed": 6, "subsampling": "4:2:0"},
    "avif-444-psnr": {"speed": 6, "subsampling": "4:4:4", "advanced": {"tune": "psnr"}},
    "jxl": {"effort": 7},
}


class PillowCodec(Codec):
    """An image codec of :data:`IMAGE_CODECS` through Pillow, swept at the
    study's quality settings (``report.codec_qualities``)."""

    role = "anchor"

    def __init__(self, name, qualities=()):
        self.name, self.qualities = name, tuple(qualities)
        self.settings = dict(ENCODER_SETTINGS[name])

    def library(self):
        return _library(self.name)

    def describe(self, gray=False):
        return encoder(self.name, gray)

    def points(self, picture):
        return list(self.qualities)

    def encode(self, picture, point):
        if self.name == "jxl":
            import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
        image = eight_bit_image(np.asarray(picture, dtype=np.float64))
        buffer = io.BytesIO()
        # The JXL plugin refuses quality 100; lossless is what it means there.
        level = {"lossless": True} if self.name == "jxl" and point >= 100 else {}
        settings = applied_settings(self.name, gray=image.mode == "L")
        image.save(buffer, format=IMAGE_CODECS[self.name], quality=int(point),
                   **settings, **level)  # fmt: skip
        return buffer.getvalue()

    def decode(self, data):
        if self.name == "jxl":
            import pillow_jxl  # noqa: F401
        return pillow_decoded(data)


def as_channels(decoded, channels):
    """A decoded picture with the original's number of channels: a codec
    that stores gray as colour (WebP, AVIF) is read back as gray, by
    Pillow's conversion of its 8-bit values."""
    if decoded.shape[0] == channels:
        return decoded
    gray = eight_bit_image(decoded).convert("L")
    return np.asarray(gray, dtype=np.float64)[np.newaxis] / 255.0


def anchor_codecs(qualities=()):
    """The built-in anchors, swept at ``qualities``: Pillow's
    (:data:`IMAGE_CODECS`), then MozJPEG, JPEG 2000 and HEVC."""
    return [
        *(PillowCodec(name, qualities) for name in IMAGE_CODECS),
        *(anchor(qualities) for anchor in ANCHOR_CODECS),
    ]


ANCHORS = tuple(codec.name for codec in anchor_codecs())


def sweep_codecs(qualities):
    """Every codec of the sweep (:mod:`lowrank.evaluation.codec_interface`):
    the anchors at ``qualities``, the block low-rank codec and the codecs of
    installed plugins."""
    return [*anchor_codecs(qualities), BlockCodec(), *plugin_codecs()]


def image_codec(stack, codec, quality):
    """Encode a (c, m, n) stack in [0, 1] with the anchor named ``codec`` (of
    :data:`ANCHORS`) at ``quality``; return (decoded stack, bits)."""
    anchor = next(found for found in anchor_codecs() if found.name == codec)
    data = anchor.encode(stack, quality)
    return as_channels(anchor.decode(data), len(stack)), 8 * len(data)


def applied_settings(codec, gray=False):
    """The Pillow save options of ``codec``: :data:`ENCODER_SETTINGS`, less
    chroma subsampling for one gray plane, which has no chroma."""
    settings = dict(ENCODER_SETTINGS[codec])
    if gray:
        settings.pop("subsampling", None)
    return settings


@functools.cache
def encoder(codec, gray=False):
    """The library and version that encodes ``codec``, and the settings it
    ran with (:func:`applied_settings`)."""
    settings = applied_settings(codec, gray)
    settings.update(settings.pop("advanced", {}))
    named = ", ".join(f"{key}={value}" for key, value in settings.items())
    return f"{_library(codec)}: {named}"


def _library(codec):
    if codec == "jxl":
        return f"pillow-jxl-plugin {importlib.metadata.version('pillow-jxl-plugin')}"
    pillow = f"Pillow {PIL.__version__}"
    if IMAGE_CODECS[codec] == "AVIF":
        from PIL import _avif

        avif = features.version("avif")
        return f"{pillow}, libavif {avif} ({_avif.codec_versions()})"
    if IMAGE_CODECS[codec] == "JPEG":
        return f"{pillow}, libjpeg-turbo {features.version('libjpeg_turbo')}"
    return f"{pillow}, libwebp {features.version('webp')}"


def rate_distortion_ranks(shape, configured=(), channels=1):
    """Ranks for the SVD curves of ``channels`` m x n channels: about
    :data:`LADDER_POINTS` log-spaced from 1 to min(m, n) - 1, the configured
    ranks, and each factor format's highest rank whose stream is no larger
    than the raw 8-bit picture (where :func:`rate_distortion_rows` ends its
    curve), so that every curve reaches as far as it is swept.

    What fewer points change in the BD figures, against a ladder twice as
    dense: ``bench/codec_sweep_2026-12-06.md``."""
    m, n = shape
    limit = min(m, n) - 1
    spaced = np.geomspace(1, max(limit, 1), LADDER_POINTS)
    raw_bytes = channels * m * n
    highest = {
        highest_rank_within(fmt, channels, m, n, raw_bytes) for fmt in SVD_FORMATS
    }
    ranks = set(np.round(spaced).astype(int)) | set(configured) | highest
    return sorted(int(rank) for rank in ranks if 1 <= rank <= limit)


def rate_distortion_rows(
    stack, decompositions, ranks, qualities, threads=1, mode="rgb", layout=None,
    codecs=(),
):  # fmt: skip
    """Bits per pixel and quality of every codec of the sweep: the SVD factor
    streams at ``ranks`` (:mod:`lowrank.evaluation.svd_codecs`), the image
    codecs at ``qualities``, the block codec and the plugins'
    (:func:`sweep_codecs`), and ``codecs`` (a study's own, such as
    :mod:`lowrank.evaluation.subspace_codecs`).

    ``stack`` is the image as read in ``mode`` (``images.mode``), laid out as
    ``layout`` says ((name, (m, n)) of :mod:`lowrank.inputs.layouts`; None:
    whole), and ``decompositions`` the thin SVDs of its matrices; every codec
    is given, and every reconstruction measured as, the picture's gray or
    RGB values (the SVD formats code the matrices' factors, read back into
    the picture). A colour picture adds ``svd-ycc`` (its YCbCr
    decompositions computed here unless the stack is YCbCr) and ``svd-ec``.
    Two streams that decode to the same picture (``svd-ec`` and ``svd-ycc``)
    are measured once (:class:`lowrank.evaluation.once.OncePerKey`). The
    points are encoded, decoded and scored in ``threads`` threads (Pillow's
    encoders, NumPy's products and SciPy's filters release the GIL), each
    with a single-threaded BLAS.

    Returns
    -------
    list of dict with keys method, rows, cols, rank, ranks, factor_bits,
    encoder (the codec's library, version and settings), quality, bits, bpp
    and the measures of
    :data:`lowrank.evaluation.image_quality.QUALITY_COLUMNS` (an SVD stream
    fills ``rank``, the others ``quality``; for ``svd-ycc`` and ``svd-ec``
    ``ranks`` and ``factor_bits`` are "Y/Cb/Cr": each channel's rank and bits
    a factor entry; ``rows`` and ``cols`` are the matrices')
    """
    from lowrank.evaluation.image_quality import QualityReference

    name, shape = layout or ("whole", stack.shape[1:])

    def unlaid(matrices):
        return picture_of(matrices, name, shape)

    picture = rgb_view(unlaid(stack), mode)
    _, m, n = stack.shape
    pixels = shape[0] * shape[1]
    reference = QualityReference(picture)
    # Two streams may decode to one picture (svd-ec, svd-ycc): measured once.
    measure = OncePerKey(lambda _, reconstruction: reference(reconstruction))
    colour = YCBCR if mode == "ycbcr" else AS_READ
    ycc = None
    if stack.shape[0] == 3:
        ycc = decompositions if mode == "ycbcr" else _ycbcr_svds(stack)
    factor_codecs = svd_codecs(
        decompositions, colour, ranks, unlaid, ycc, laid_out(picture, name)
    )
    points = [
        (codec, point)
        for codec in [*factor_codecs, *sweep_codecs(qualities), *codecs]
        for point in codec.points(picture)
    ]
    gray = picture.shape[0] == 1

    def row(codec_point):
        codec, point = codec_point
        data = codec.encode(picture, point)
        reconstruction = as_channels(codec.decode(data), len(picture))
        at = {"rank": None, "quality": None, codec.point_column: point}
        return {
            "method": codec.name,
            "rows": m,
            "cols": n,
            "rank": at["rank"],
            "ranks": "",
            "factor_bits": "",
            **codec.columns(data),
            "encoder": codec.describe(gray),
            "quality": at["quality"],
            "bits": 8 * len(data),
            "bpp": 8 * len(data) / pixels,
            **measure(_digest(reconstruction), reconstruction),
        }

    # The points are the parallel work: a BLAS thread pool of its own under
    # each point would only wait spinning (nearly a third of the sweep's CPU, with
    # the same wall time: bench/codec_sweep_2026-12-06.md).
    with threadpool_limits(limits=1, user_api="blas"):
        with ThreadPoolExecutor(max(1, threads)) as pool:
            return list(pool.map(row, points))


def _digest(array):
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).digest()


def _ycbcr_svds(rgb):
    return [thin_svd(channel) for channel in rgb_to_ycbcr(rgb)]
