"""How a picture becomes the matrix a study approximates (``images.layout``).

- ``whole``: each channel is one m x n matrix, as the paper does it;
- ``blocks8`` / ``blocks16``: each channel is the matrix whose rows are its
  b x b blocks (row by row, the picture's edges repeated to whole blocks),
  ceil(m / b) ceil(n / b) rows of b**2 columns. Its truncated SVD keeps the
  first k right singular vectors: the image's own Karhunen-Loève transform
  with k basis images (the PCA of its blocks, uncentred), the low-rank
  coding of the block literature (docs/design.md, "Low-rank coding").

Every job after ``prepare`` works on the matrix as it is (SVD, training,
errors); what shows or measures a picture (PSNR, SSIM, the viewer, the
codecs) reads it back with :func:`picture`.
"""

import numpy as np

LAYOUTS = {"whole": None, "blocks8": 8, "blocks16": 16}


def laid_out(stack, layout):
    """The (c, rows, cols) matrices of a (c, m, n) picture in ``layout``."""
    block = _block(layout)
    if block is None:
        return stack
    return np.stack([block_matrix(channel, block) for channel in stack])


def picture(stack, layout, shape):
    """The (c, m, n) picture of ``shape`` (m, n) whose matrices in
    ``layout`` are ``stack``."""
    block = _block(layout)
    if block is None:
        return stack
    return np.stack([from_block_matrix(matrix, shape, block) for matrix in stack])


def block_matrix(plane, block):
    """The matrix whose rows are the ``block`` x ``block`` blocks of
    ``plane`` (edges repeated to whole blocks), row by row."""
    m, n = plane.shape
    padded = np.pad(plane, ((0, -m % block), (0, -n % block)), mode="edge")
    rows, cols = padded.shape[0] // block, padded.shape[1] // block
    blocks = padded.reshape(rows, block, cols, block).swapaxes(1, 2)
    return blocks.reshape(rows * cols, block * block)


def from_block_matrix(matrix, shape, block):
    """The plane of ``shape`` whose blocks are the rows of ``matrix``."""
    m, n = shape
    rows, cols = -(-m // block), -(-n // block)
    blocks = matrix.reshape(rows, cols, block, block).swapaxes(1, 2)
    return blocks.reshape(rows * block, cols * block)[:m, :n]


def _block(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {list(LAYOUTS)}, got {layout!r}")
    return LAYOUTS[layout]


def shown_picture(item, stack):
    """What a display shows of ``stack``, matrices of the input ``item``
    (a :class:`lowrank.records.InputMatrix`): the picture in its layout, as
    gray or RGB values."""
    from lowrank.colour import rgb_view

    return rgb_view(picture(stack, item.layout, item.picture_shape), item.mode)
