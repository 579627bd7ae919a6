"""Image files to float matrices.

Values are scaled to [0, 1] by the bit depth (255 for 8-bit, 65535 for 16-bit
gray); floating-point images (mode F) are read as they are and must lie in
[0, 1]. A 16-bit image with colour or transparency, or one of integers wider
than 16 bits, is refused with a message: Pillow reads it at 8 bits, or a
study would clip it, and a study must not take another picture for the file.
Any other error a decoder raises on a file is the input error naming it.
Transparency is composited onto a white background, the way viewers show it.
The EXIF orientation tag is applied, so the matrix looks like the picture does.
Animated files (GIF, WebP) contribute their first frame.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from lowrank.colour import rgb_to_ycbcr
from lowrank.errors import InputFileError, OversizeImageError

MODES = ("gray", "rgb", "ycbcr")
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def load_image(path, mode="gray", max_pixels=Image.MAX_IMAGE_PIXELS):
    """Read an image file into a stack of float64 matrices.

    Parameters
    ----------
    path : str or Path
        Any file Pillow reads (PNG, JPEG, TIFF, BMP, WebP, GIF).
    mode : {"gray", "rgb", "ycbcr"}
        ``gray`` gives one luminance matrix (ITU-R 601-2 weights, Pillow's
        ``L`` conversion); ``rgb`` gives one matrix per colour channel;
        ``ycbcr`` gives the Y, Cb and Cr matrices of the RGB values
        (:mod:`lowrank.colour`, in floating point, so the RGB picture comes
        back exactly).
    max_pixels : int or None
        Images with more pixels are refused (decompression-bomb guard).

    Returns
    -------
    ndarray of shape (c, m, n), float64 in [0, 1]
        ``c`` is 1 for ``gray`` and 3 otherwise; ``m`` rows, ``n`` columns.

    Raises
    ------
    InputFileError
        The file is missing, empty, not an image, truncated, or too large;
        the message names the file.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    try:
        with Image.open(path) as image:
            _check_size(path, image, max_pixels)
            _check_precision(path, image)
            image.seek(0)
            image.load()
            pixels = _to_channels(path, ImageOps.exif_transpose(image), mode)
    except InputFileError:
        raise
    except Image.DecompressionBombError as error:
        # Pillow refuses before our own check can run: a header that claims
        # over twice Image.MAX_IMAGE_PIXELS.
        # No images.max_pixels admits it: the schema caps the limit there.
        raise InputFileError(
            f"{path}: refused as a decompression bomb ({error}); config key "
            "images.max_pixels"
        ) from error
    except UnidentifiedImageError as error:
        raise InputFileError(f"{path}: not an image Pillow can read") from error
    except MemoryError:
        raise
    except Exception as error:
        # A damaged file can make a decoder raise anything (a fuzzed TIFF
        # gives TypeError): it costs this input, never the study.
        raise InputFileError(
            f"{path}: corrupt or truncated image ({type(error).__name__}: {error})"
        ) from error
    return pixels


def _check_size(path, image, max_pixels):
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise OversizeImageError(
            f"{path}: {width}x{height} = {width * height} pixels exceeds the limit "
            f"of {max_pixels} (config key images.max_pixels)"
        )


def _check_precision(path, image):
    """Refuse an image whose samples would not be read as the file holds
    them: colour or transparency at 16 bits (Pillow cuts colour to 8 bits,
    and 16-bit gray keeps no transparency), integers over 16 bits."""
    rawmodes = [
        tile.args if isinstance(tile.args, str) else tile.args[0]
        for tile in image.tile
        if tile.args and isinstance(tile.args, str | tuple)
    ]
    sixteen = any(isinstance(raw, str) and ";16" in raw for raw in rawmodes)
    if sixteen and image.mode in _SIXTEEN_BIT_MODES and "transparency" in image.info:
        raise InputFileError(
            f"{path}: a 16-bit gray image with transparency, which lowrank cannot "
            "composite at its depth; drop the transparency, or save it as 8-bit"
        )
    if sixteen and image.mode not in _SIXTEEN_BIT_MODES:
        raise InputFileError(
            f"{path}: a 16-bit image with colour or transparency, which Pillow reads "
            "at 8 bits only; save it as 8-bit, or as 16-bit gray without transparency"
        )
    if image.mode == "I" and not sixteen:
        raise InputFileError(
            f"{path}: an image of integers wider than 16 bits "
            f"({', '.join(map(str, rawmodes))}), which lowrank does not read; "
            "save it as 16-bit, or as 32-bit floats in [0, 1]"
        )


def _to_channels(path, image, mode):
    channels = _channels(path, image, mode)
    return rgb_to_ycbcr(channels) if mode == "ycbcr" else channels


def _channels(path, image, mode):
    """Gray or RGB values: one channel for ``gray``, three otherwise."""
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if image.mode == "F":
            _check_unit_range(path, values)
        else:
            values = np.clip(values / 65535.0, 0.0, 1.0)
        values = values[np.newaxis]
        return values if mode == "gray" else np.repeat(values, 3, axis=0)
    image = _flatten_alpha(image)
    target = "L" if mode == "gray" else "RGB"
    values = np.asarray(image.convert(target), dtype=np.float64) / 255.0
    return values[np.newaxis] if mode == "gray" else np.moveaxis(values, -1, 0)


def _check_unit_range(path, values):
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise InputFileError(
            f"{path}: a floating-point image must hold values in [0, 1] "
            f"(found {np.nanmin(values):.4g} to {np.nanmax(values):.4g})"
        )


def _flatten_alpha(image):
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")
