"""Which files are images, told by name alone: planning a study lists the
image folder without decoding a file (a ``prepare`` job decodes it), so this
module imports neither Pillow nor NumPy."""

from pathlib import Path

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif"}
)


def is_image_path(path):
    """True when ``path`` names a visible file with a supported image suffix."""
    path = Path(path)
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES
