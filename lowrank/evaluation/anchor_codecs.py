"""The field's anchors beyond Pillow's codecs: MozJPEG, JPEG 2000 and HEVC
intra, each through a maintained library's wheel.

- ``mozjpeg``: MozJPEG through libvips (``pyvips`` with ``pyvips-binary``,
  whose libvips links MozJPEG) with the settings of MozJPEG's own ``cjpeg``
  (trellis quantisation, overshoot deringing, optimised progressive scans,
  quantisation table 3, 4:2:0 chroma), the ``mozjpeg: true`` of sharp, which
  uses the same libvips build. A libvips without MozJPEG would ignore those
  settings and write plain libjpeg output under MozJPEG's name, so the codec
  refuses to run there (:func:`mozjpeg_version`).
- ``jpeg2000``: OpenJPEG through ``imagecodecs``, a JP2 file (headers in) with
  the irreversible 9/7 wavelet and colour transform, one quality layer whose
  target PSNR is the sweep's point mapped by :func:`jpeg2000_target_db`
  (quality 100: lossless, the reversible 5/3 wavelet).
- ``hevc-444``: HEVC intra (x265) in a HEIF file through ``pillow-heif``
  (libheif), 4:4:4 chroma as the JPEG AI common test conditions code their
  HEVC anchor, libheif's x265 defaults otherwise (quality 100: lossless).

Each reads its own bytes back (MozJPEG's and HEVC's through Pillow and
libheif, JPEG 2000's through OpenJPEG) into a (c, m, n) stack in [0, 1].
"""

import functools
import importlib.metadata
import io

import numpy as np
from PIL import Image

from lowrank.colour import eight_bit_codes, eight_bit_image
from lowrank.evaluation.codec_interface import Codec


class SweptAnchor(Codec):
    """An anchor swept at the study's quality settings (``report.codec_qualities``)."""

    role = "anchor"

    def __init__(self, qualities=()):
        self.qualities = tuple(qualities)

    def points(self, picture):
        return list(self.qualities)


class MozJpegCodec(SweptAnchor):
    name = "mozjpeg"
    settings = {
        "trellis_quant": True, "overshoot_deringing": True, "optimize_scans": True,
        "quant_table": 3, "interlace": True, "optimize_coding": True,
        "subsample_mode": "on",
    }  # fmt: skip

    def library(self):
        import pyvips

        return (
            f"pyvips {pyvips.__version__}, libvips {_libvips_version()}, "
            f"mozjpeg {mozjpeg_version()}"
        )

    def describe(self, gray=False):
        settings = {**self.settings, "subsample_mode": "on (4:2:0)"}
        if gray:
            settings.pop("subsample_mode")
        named = ", ".join(f"{key}={value}" for key, value in settings.items())
        return f"{self.library()}: {named}"

    def encode(self, picture, point):
        import pyvips

        mozjpeg_version()  # refuses a libvips without MozJPEG
        codes = eight_bit_codes(np.asarray(picture, dtype=np.float64))
        gray = codes.shape[0] == 1
        image = pyvips.Image.new_from_array(
            np.ascontiguousarray(codes[0] if gray else np.moveaxis(codes, 0, -1)),
            interpretation="b-w" if gray else "srgb",
        )
        return image.jpegsave_buffer(Q=int(point), keep="none", **self.settings)

    def decode(self, data):
        return pillow_decoded(data)


class Jpeg2000Codec(SweptAnchor):
    name = "jpeg2000"
    settings = {"codecformat": "jp2", "reversible": False, "mct": True}

    def library(self):
        import imagecodecs

        return (
            f"imagecodecs {imagecodecs.__version__}, "
            f"OpenJPEG {imagecodecs.version(dict)['openjpeg']}"
        )

    def describe(self, gray=False):
        settings = dict(self.settings)
        if gray:
            settings.pop("mct")
        named = ", ".join(f"{key}={value}" for key, value in settings.items())
        return (
            f"{self.library()}: {named}, target PSNR (dB) = 20 + 0.3 x quality "
            "(100: lossless)"
        )

    def encode(self, picture, point):
        import imagecodecs

        codes = eight_bit_codes(np.asarray(picture, dtype=np.float64))
        gray = codes.shape[0] == 1
        pixels = codes[0] if gray else np.moveaxis(codes, 0, -1)
        settings = {**self.settings, "mct": self.settings["mct"] and not gray}
        if point >= 100:  # as for JPEG XL, quality 100 means lossless
            settings["reversible"], level = True, 0
        else:
            level = jpeg2000_target_db(point)
        return imagecodecs.jpeg2k_encode(
            np.ascontiguousarray(pixels), level=level, **settings
        )

    def decode(self, data):
        import imagecodecs

        pixels = np.asarray(imagecodecs.jpeg2k_decode(data), dtype=np.float64) / 255.0
        return pixels[np.newaxis] if pixels.ndim == 2 else np.moveaxis(pixels, -1, 0)


def jpeg2000_target_db(quality):
    """The target PSNR (dB) of OpenJPEG's fixed-quality layer at a sweep
    quality (5..95 -> 21.5..48.5 dB): the span of the other anchors' PSNR on
    photographs, since OpenJPEG is driven by quality in dB, not by a 0..100
    setting."""
    return 20.0 + 0.3 * float(quality)


class HevcCodec(SweptAnchor):
    name = "hevc-444"
    settings = {"chroma": 444}

    def library(self):
        import pillow_heif

        info = pillow_heif.libheif_info()
        return (
            f"pillow-heif {pillow_heif.__version__}, libheif {info['libheif']}, "
            f"{info['HEIF']}"
        )

    def describe(self, gray=False):
        if gray:
            return f"{self.library()}: monochrome (100: lossless)"
        return f"{super().describe(gray)} (100: lossless)"

    def encode(self, picture, point):
        import pillow_heif

        image = eight_bit_image(np.asarray(picture, dtype=np.float64))
        buffer = io.BytesIO()
        settings = {} if image.mode == "L" else self.settings
        # As for JPEG XL, quality 100 means lossless (-1 to libheif).
        quality = -1 if point >= 100 else int(point)
        pillow_heif.from_pillow(image).save(buffer, quality=quality, **settings)
        return buffer.getvalue()

    def decode(self, data):
        import pillow_heif

        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        image = heif.to_pillow()
        gray = image.mode in ("L", "LA")
        values = np.asarray(image.convert("L" if gray else "RGB"), np.float64) / 255.0
        return values[np.newaxis] if gray else np.moveaxis(values, -1, 0)


ANCHOR_CODECS = (MozJpegCodec, Jpeg2000Codec, HevcCodec)


def pillow_decoded(data):
    """The (c, m, n) stack in [0, 1] that Pillow reads from ``data``: gray
    as one plane, anything else as RGB."""
    with Image.open(io.BytesIO(data)) as decoded:
        gray = decoded.mode in ("L", "LA")
        values = np.asarray(decoded.convert("L" if gray else "RGB"), np.float64)
    values = values / 255.0
    return values[np.newaxis] if values.ndim == 2 else np.moveaxis(values, -1, 0)


def _libvips_version():
    import pyvips

    return ".".join(str(pyvips.version(part)) for part in range(3))


@functools.cache
def mozjpeg_version():
    """The MozJPEG version that the loaded libvips links, read from the
    library of ``pyvips-binary`` (libvips has no call that says which JPEG
    library it uses); RuntimeError where it links another."""
    import pyvips  # noqa: F401  (loads the library read below)

    marker = b"mozjpeg version "
    for file in importlib.metadata.files("pyvips-binary") or ():
        if "libvips" in file.name and (".so" in file.name or file.suffix == ".dylib"):
            text = file.locate().read_bytes()
            start = text.find(marker)
            if start >= 0:
                end = text.index(b" ", start + len(marker))
                return text[start + len(marker) : end].decode("ascii")
    raise RuntimeError(
        "the mozjpeg anchor needs libvips built with MozJPEG (the pyvips-binary "
        "wheel); the libvips found links another JPEG library, which would ignore "
        "MozJPEG's settings"
    )
