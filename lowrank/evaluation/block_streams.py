"""Block low-rank coding as the literature does it: each channel's b x b
blocks are the rows of a matrix, whose truncated SVD is the image's own
Karhunen-Loève transform (KLT, the PCA of its blocks); the basis and the
block coefficients are quantised and entropy coded into one byte stream.

A stream (``LRBK``) holds, after a fixed header, per channel:

- the K basis vectors the coefficients use (the first K right singular
  vectors of the block matrix of the 8-bit picture less 128), each entry on
  a grid of 2**-basis_bits, entropy coded (K: the last index with a nonzero
  quantised coefficient in any block);
- the Laplace scale of each context and basis index, fitted to the image
  (the scale under which its values take the fewest bits);
- each block's first coefficient (about its mean), as the residual of the
  median edge detector's prediction from its neighbours (LOCO-I);
- the other coefficients, quantised with a dead zone at step ``step``
  (chroma: ``step * chroma_ratio``), each coded with the scale of its basis
  index in its block's context: the activity of the blocks above it, on a
  log scale of eight steps. So a flat block's coefficients past the first
  cost almost nothing: the rank adapts to the block, with no side
  information.

The coder is ``constriction``'s ANS coder, with models of the image's own
statistics sent in the stream; a decoder needs the bytes alone. The header
holds the payload's length and a CRC-32 of the header and payload: a
truncated or corrupted stream is refused (:class:`StreamError`).

Colour pictures are coded as Y, Cb and Cr (full-range BT.601); with
``subsampling`` "4:2:0" the chroma planes are averaged over 2 x 2 pixels
first and repeated back, as JPEG does.

References: the block KLT/SVD coders of Andrews & Patterson (1976) and
Waldemar & Ramstad (1997); adaptive classification of transform blocks after
Chen & Smith (1977); docs/design.md, "Low-rank coding".
"""

import functools
import math
import struct
import zlib

import numpy as np

from lowrank.colour import rgb_to_ycbcr, ycbcr_to_rgb
from lowrank.evaluation.codec_interface import Codec
from lowrank.inputs.layouts import block_matrix, from_block_matrix

MAGIC, VERSION = b"LRBK", 1
# magic, version, channels, colour (0 as read, 1 YCbCr), subsampling (0
# none, 1 4:2:0), block side, basis bits, m, n, payload length, CRC-32
HEADER = struct.Struct("<4sBBBBBBIIII")
# per channel: step (float32), K, largest |coefficient|, largest |DC
# difference|, largest |basis code|, classes used
CHANNEL = struct.Struct("<fHHHHB")
CONTEXTS = 8
DEAD_ZONE = 0.4  # rounding offset: values within 0.6 steps of 0 are 0
SCALE_CODES = 256  # log-spaced Laplace scales from 2**-6 to 2**10
SUBSAMPLINGS = ("4:4:4", "4:2:0")


class StreamError(ValueError):
    """A byte stream that is not a whole, intact block stream."""


def encode_blocks(picture, step, **options):
    """The byte stream of a (c, m, n) picture in [0, 1] (gray or RGB).

    ``step`` is the luma quantiser's step on the 0..255 scale; the chroma
    planes' is ``step * chroma_ratio``. Options: ``block`` (8), ``chroma_ratio``
    (1.0), ``subsampling`` ("4:4:4"), ``basis_bits`` (5), ``colour`` (a colour
    picture coded as Y, Cb, Cr; False: as its channels), ``bases`` (per
    plane, the basis vectors to code it in, columns in order, instead of
    its own KLT: another method's subspace). :func:`encoded_picture` gives
    the picture the encoder meant, which the decoder must read back."""
    return _encode(picture, step, **options)[0]


def encoded_picture(picture, step, **options):
    """The picture :func:`encode_blocks` codes, as the encoder computes it
    from its own quantised coefficients and basis."""
    return _encode(picture, step, **options)[1]


def _encode(
    picture, step, block=8, chroma_ratio=1.0, subsampling="4:4:4", basis_bits=5,
    colour=True, bases=None,
):  # fmt: skip
    import constriction

    channels, m, n = picture.shape
    colour = int(channels == 3 and colour)
    step = float(np.float32(step))  # as the header stores it
    planes = _planes(picture, colour, subsampling)
    coder = constriction.stream.stack.AnsCoder()
    layouts, coded = [], []
    # ANS is a stack: the channels are pushed last to first, so that the
    # decoder pops them first to last.
    for index in reversed(range(len(planes))):
        channel_step = float(np.float32(step * (chroma_ratio if index else 1.0)))
        layout, plane = _encode_plane(
            coder, planes[index], block, channel_step, basis_bits,
            None if bases is None else bases[index],
        )  # fmt: skip
        layouts.insert(0, layout)
        coded.insert(0, plane)
    payload = b"".join(CHANNEL.pack(*layout) for layout in layouts)
    payload += coder.get_compressed().tobytes()
    fields = (MAGIC, VERSION, channels, colour, SUBSAMPLINGS.index(subsampling),
              block, basis_bits, m, n, len(payload))  # fmt: skip
    header = HEADER.pack(*fields, _checksum(fields, payload))
    return header + payload, _picture(coded, colour, subsampling, m, n, channels)


def _checksum(fields, payload):
    """CRC-32 of the header's other fields and the payload: any one changed
    byte is found."""
    return zlib.crc32(HEADER.pack(*fields, 0)[:-4] + payload)


def decode_blocks(data):
    """The (c, m, n) picture a decoder reads from :func:`encode_blocks`'s
    bytes; StreamError if they are truncated, corrupted or not such a
    stream."""
    import constriction

    if len(data) < HEADER.size:
        raise StreamError(f"a block stream of {len(data)} bytes is truncated")
    *fields, crc = HEADER.unpack_from(data)
    (magic, version, channels, colour, subsampling, block, basis_bits,
     m, n, length) = fields  # fmt: skip
    if magic != MAGIC or version != VERSION:
        raise StreamError(f"not a lowrank block stream (magic {magic!r}, v{version})")
    payload = data[HEADER.size :]
    if len(payload) != length:
        raise StreamError(
            f"the block stream holds {len(payload)} payload bytes, its header "
            f"says {length}: truncated or extended"
        )
    if _checksum(fields, payload) != crc:
        raise StreamError("the block stream is corrupted (its CRC-32 does not match)")
    if channels not in (1, 3) or (colour and channels != 3):
        raise StreamError(f"a block stream of {channels} channels is damaged")
    layouts = [CHANNEL.unpack_from(payload, CHANNEL.size * i) for i in range(channels)]
    words = np.frombuffer(payload, np.uint32, offset=CHANNEL.size * channels)
    coder = constriction.stream.stack.AnsCoder(words.copy())
    shapes = _plane_shapes(m, n, channels, colour, SUBSAMPLINGS[subsampling])
    planes = [
        _decode_plane(coder, shape, block, basis_bits, layout)
        for shape, layout in zip(shapes, layouts)
    ]
    return _picture(planes, colour, SUBSAMPLINGS[subsampling], m, n, channels)


def _planes(picture, colour, subsampling):
    """The 0..255 planes to code: gray or Y, Cb, Cr (chroma averaged over
    2 x 2 pixels for 4:2:0)."""
    values = rgb_to_ycbcr(picture) if colour else picture
    planes = list(255.0 * values)
    if colour and subsampling == "4:2:0":
        planes[1:] = [_halved(plane) for plane in planes[1:]]
    return planes


def _plane_shapes(m, n, channels, colour, subsampling):
    if not colour:
        return [(m, n)] * channels
    chroma = ((m + 1) // 2, (n + 1) // 2) if subsampling == "4:2:0" else (m, n)
    return [(m, n), chroma, chroma]


def _halved(plane):
    m, n = plane.shape
    padded = np.pad(plane, ((0, m % 2), (0, n % 2)), mode="edge")
    return padded.reshape(padded.shape[0] // 2, 2, -1, 2).mean(axis=(1, 3))


def _picture(planes, colour, subsampling, m, n, channels):
    if colour and subsampling == "4:2:0":
        planes[1:] = [
            np.repeat(np.repeat(plane, 2, 0), 2, 1)[:m, :n] for plane in planes[1:]
        ]
    stack = np.stack(planes) / 255.0
    return ycbcr_to_rgb(stack) if colour else stack


def klt_basis(matrix):
    """The right singular vectors of ``matrix`` (columns, by falling
    singular value), each signed so that its largest entry is positive."""
    _, _, vt = np.linalg.svd(matrix, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    return (vt * signs[:, None]).T


def _encode_plane(coder, plane, block, step, basis_bits, basis=None):
    import constriction

    model = constriction.stream.model
    matrix = block_matrix(plane - 128.0, block)
    basis = klt_basis(matrix) if basis is None else basis
    codes = np.round(basis * 2**basis_bits).astype(np.int64)
    quantised = _quantised(matrix, codes, basis_bits, step)
    used = np.flatnonzero(np.abs(quantised).max(axis=0))
    k = int(used[-1]) + 1 if used.size else 1
    codes = codes[:, :k]
    # Least squares with the k basis vectors the decoder has.
    grid = _grid(plane.shape, block)
    quantised = _quantised(matrix, codes, basis_bits, step).reshape(*grid, k)
    dc = quantised[:, :, 0]
    residuals = (dc - _med_prediction(dc)).ravel()
    contexts = _contexts(quantised)
    scales = _context_scales(quantised, contexts, k)
    side = np.append(scales.ravel(), _fitted_scale(residuals))
    basis_scale = _fitted_scale(codes)
    limits = (
        max(1, int(np.abs(quantised[:, :, 1:]).max(initial=0))),
        max(1, int(np.abs(residuals).max())),
        max(1, int(np.abs(codes).max())),
    )
    # ANS is a stack: pushed in reverse of the decoder's order (basis scale,
    # basis, scales, first coefficients, then the others row by row).
    if k > 1:
        ac_scales = _scale_values(scales)[contexts][:, :, 1:].ravel()
        coder.encode_reverse(
            quantised[:, :, 1:].ravel().astype(np.int32),
            model.QuantizedLaplace(-limits[0], limits[0]),
            np.zeros(ac_scales.size), ac_scales,
        )  # fmt: skip
    coder.encode_reverse(
        residuals.astype(np.int32), model.QuantizedLaplace(-limits[1], limits[1]),
        np.zeros(residuals.size), np.full(residuals.size, _scale_values(side[-1])),
    )  # fmt: skip
    coder.encode_reverse(side.astype(np.int32), model.Uniform(SCALE_CODES))
    coder.encode_reverse(
        codes.T.ravel().astype(np.int32),
        model.QuantizedLaplace(-limits[2], limits[2]),
        np.zeros(codes.size), np.full(codes.size, _scale_values(basis_scale)),
    )  # fmt: skip
    coder.encode_reverse(np.array([basis_scale], np.int32), model.Uniform(SCALE_CODES))
    layout = (step, k, *limits, CONTEXTS)
    return layout, _plane(quantised, codes, step, basis_bits, plane.shape)


def _decode_plane(coder, shape, block, basis_bits, layout):
    import constriction

    model = constriction.stream.model
    step, k, ac_limit, dc_limit, basis_limit, contexts_used = layout
    if contexts_used != CONTEXTS or k < 1 or k > block * block:
        raise StreamError(f"a block stream channel with {k} basis vectors is damaged")
    size = block * block
    basis_scale = coder.decode(model.Uniform(SCALE_CODES), 1)[0]
    codes = coder.decode(
        model.QuantizedLaplace(-basis_limit, basis_limit),
        np.zeros(k * size), np.full(k * size, _scale_values(basis_scale)),
    ).reshape(k, size).T  # fmt: skip
    side = coder.decode(model.Uniform(SCALE_CODES), CONTEXTS * k + 1)
    scales = _scale_values(side[:-1].reshape(CONTEXTS, k))
    rows, cols = _grid(shape, block)
    residuals = coder.decode(
        model.QuantizedLaplace(-dc_limit, dc_limit),
        np.zeros(rows * cols), np.full(rows * cols, _scale_values(side[-1])),
    ).reshape(rows, cols)  # fmt: skip
    quantised = np.zeros((rows, cols, k), dtype=np.int64)
    quantised[:, :, 0] = _med_reconstruction(residuals)
    ac_model = model.QuantizedLaplace(-ac_limit, ac_limit)
    for row in range(rows) if k > 1 else ():
        row_scales = scales[_row_contexts(quantised, row)][:, 1:].ravel()
        quantised[row, :, 1:] = coder.decode(
            ac_model, np.zeros(row_scales.size), row_scales
        ).reshape(cols, k - 1)
    return _plane(quantised, codes, step, basis_bits, shape)


def _plane(quantised, codes, step, basis_bits, shape):
    """The 0..255 plane of ``shape`` whose blocks' quantised coefficients
    (rows, cols, k) are in the basis ``codes`` / 2**basis_bits."""
    rows, cols, k = quantised.shape
    matrix = (quantised.reshape(rows * cols, k) * step) @ (codes.T / 2**basis_bits)
    return from_block_matrix(matrix, shape, math.isqrt(codes.shape[0])) + 128.0


def _grid(shape, block):
    return -(-shape[0] // block), -(-shape[1] // block)


def _quantised(matrix, codes, basis_bits, step):
    """The dead-zone codes of the least-squares coefficients of ``matrix``'s
    rows in the basis the decoder reads (``codes`` / 2**basis_bits)."""
    return _dead_zone(matrix @ np.linalg.pinv(codes.T / 2**basis_bits), step)


def _med_prediction(dc):
    """The median edge detector's prediction of each block's first
    coefficient from its left, upper and upper-left neighbours (LOCO-I)."""
    left = np.pad(dc, ((0, 0), (1, 0)))[:, :-1]
    up = np.pad(dc, ((1, 0), (0, 0)))[:-1]
    corner = np.pad(dc, ((1, 0), (1, 0)))[:-1, :-1]
    low, high = np.minimum(left, up), np.maximum(left, up)
    prediction = np.where(
        corner >= high, low, np.where(corner <= low, high, left + up - corner)
    )
    # The first row predicts from the left, the first column from above.
    prediction[0] = left[0]
    prediction[1:, 0] = up[1:, 0]
    return prediction


def _med_reconstruction(residuals):
    """The first coefficients whose :func:`_med_prediction` residuals are
    ``residuals``, block by block."""
    rows, cols = residuals.shape
    dc = np.zeros((rows, cols), dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            left = dc[i, j - 1] if j else 0
            up = dc[i - 1, j] if i else 0
            if i == 0:
                guess = left
            elif j == 0:
                guess = up
            else:
                corner = dc[i - 1, j - 1]
                low, high = min(left, up), max(left, up)
                guess = (
                    low
                    if corner >= high
                    else high
                    if corner <= low
                    else left + up - corner
                )
            dc[i, j] = guess + residuals[i, j]
    return dc


def _activity(quantised):
    """Each block's sum of |coefficients| past the first."""
    return np.abs(quantised[..., 1:]).sum(axis=-1)


def _contexts(quantised):
    """Each block's context: the activity of the blocks above it (the row
    before, decoded first), on a log scale of :data:`CONTEXTS` steps."""
    return np.stack([_row_contexts(quantised, row) for row in range(len(quantised))])


def _row_contexts(quantised, row):
    if row == 0:
        return np.zeros(quantised.shape[1], dtype=np.int64)
    above = np.pad(_activity(quantised[row - 1]), 1, mode="edge")
    level = above[1:-1] + (above[:-2] + above[2:]) / 2
    return np.minimum(CONTEXTS - 1, np.floor(np.log2(1 + level))).astype(np.int64)


def _context_scales(quantised, contexts, k):
    """The code of each context's Laplace scale for each basis index."""
    scales = np.zeros((CONTEXTS, k), dtype=np.int64)
    for label in range(CONTEXTS):
        members = quantised[contexts == label]
        for index in range(k):
            scales[label, index] = _fitted_scale(members[:, index])
    return scales


def _fitted_scale(values):
    """The scale code under which the quantised Laplace model codes
    ``values`` in the fewest bits."""
    counts = np.bincount(np.abs(values).ravel())
    if counts.size <= 1:
        return 0
    magnitudes = np.arange(counts.size)[None, :]
    scale = _scale_values(np.arange(SCALE_CODES))[:, None]
    upper = np.exp(-(magnitudes + 0.5) / scale)
    lower = np.exp(-np.maximum(magnitudes - 0.5, 0) / scale)
    probability = np.where(magnitudes == 0, 1 - upper, 0.5 * (lower - upper))
    bits = -(counts * np.log2(np.maximum(probability, 1e-300))).sum(axis=1)
    return int(np.argmin(bits))


def _dead_zone(values, step):
    magnitude = np.floor(np.abs(values) / step + DEAD_ZONE)
    return (np.sign(values) * magnitude).astype(np.int64)


def _scale_values(codes):
    return 2.0 ** (np.asarray(codes, dtype=np.float64) / 16 - 6)


class BlockCodec(Codec):
    """The block low-rank codec in the sweep (``klt``): 8 x 8 blocks, Y, Cb
    and Cr at full resolution and one step, and the basis on a grid of
    2**-5 (2**-6 below step 5, where its error would show). Chosen on the
    photo set over 4:2:0, other chroma steps, dead zones, block sides and
    basis grids: bench/block_codec_2026-12-07.md."""

    name = "klt"
    role = "low-rank"
    settings = {"block": 8, "subsampling": "4:4:4", "chroma_ratio": 1.0,
                "dead_zone": DEAD_ZONE, "coder": "ANS, fitted Laplace"}  # fmt: skip
    # Luma steps on the 0..255 scale, about 0.15 to 4 bits per pixel on a
    # photo: the range of JPEG's qualities 5 to 95.
    steps = (2.5, 4, 6, 9, 14, 20, 28, 40, 56, 80, 112)

    def library(self):
        return (
            f"lowrank block_streams v{VERSION}, constriction {_version('constriction')}"
        )

    def points(self, picture):
        return list(self.steps)

    def encode(self, picture, point):
        block = self.settings["block"]
        return encode_blocks(
            picture, point, block=block,
            chroma_ratio=self.settings["chroma_ratio"],
            subsampling=self.settings["subsampling"],
            basis_bits=basis_bits(block * block, point),
        )  # fmt: skip

    def decode(self, data):
        return decode_blocks(data)


def basis_bits(size, step):
    """The basis grid's bits for vectors of ``size`` entries: 5 for 64 (8 x 8
    blocks), one more for each factor of 4 in length (a unit vector's
    entries shrink as its square root), and one more below step 5, where
    the basis's error would show."""
    return 5 + max(0, round(0.5 * np.log2(size / 64))) + (step < 5)


@functools.cache
def _version(distribution):
    """Its installed version, looked up once: every row of a sweep names it."""
    import importlib.metadata

    return importlib.metadata.version(distribution)
