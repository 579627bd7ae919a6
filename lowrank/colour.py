"""Colour transforms of image stacks (c, m, n) with values in [0, 1].

YCbCr is the full-range BT.601 transform of JPEG (ITU-T T.871): Y is luma,
Cb and Cr are colour differences centred on 0.5.
"""

import numpy as np
from PIL import Image

RGB_TO_YCBCR = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168736, -0.331264, 0.5],
        [0.5, -0.418688, -0.081312],
    ]
)
YCBCR_TO_RGB = np.linalg.inv(RGB_TO_YCBCR)
CHROMA_OFFSET = np.array([0.0, 0.5, 0.5])[:, None, None]


def rgb_to_ycbcr(stack):
    return np.einsum("ij,jmn->imn", RGB_TO_YCBCR, stack) + CHROMA_OFFSET


def ycbcr_to_rgb(stack):
    return np.einsum("ij,jmn->imn", YCBCR_TO_RGB, stack - CHROMA_OFFSET)


def rgb_view(stack, mode):
    """What a display shows of a stack read in ``mode`` (``images.mode``):
    the RGB values of a YCbCr stack, any other stack as it is."""
    return ycbcr_to_rgb(stack) if mode == "ycbcr" else stack


def luma(stack):
    """Y of an RGB stack, or a gray stack's only channel, as (1, m, n)."""
    stack = np.asarray(stack, dtype=np.float64)
    if stack.shape[0] == 1:
        return stack
    return np.einsum("j,jmn->mn", RGB_TO_YCBCR[0], stack)[np.newaxis]


def rgb_error_weights():
    """How much squared RGB error a unit of squared error in Y, Cb or Cr
    makes: the squared norm of each column of the inverse transform (cross
    terms between channels' errors left out)."""
    return (YCBCR_TO_RGB**2).sum(axis=0)


def eight_bit_codes(stack):
    """The 8-bit values (c, m, n) a display shows of a gray or RGB stack:
    values clipped to [0, 1] and rounded."""
    return np.uint8(np.round(np.clip(stack, 0.0, 1.0) * 255))


def eight_bit_image(stack):
    """The Pillow image (L or RGB) of :func:`eight_bit_codes`."""
    pixels = eight_bit_codes(stack)
    return Image.fromarray(
        pixels[0] if pixels.shape[0] == 1 else np.moveaxis(pixels, 0, -1)
    )
