"""Regenerate the sample images (run from the repository root).

resources/images/ holds the default study's inputs; resources/paper_images/
holds the inputs of config/paper.yaml at the sizes of Bleckel's section 5.4.
"""

import colorsys
import shutil
from pathlib import Path

import matplotlib.cbook
import numpy as np
from PIL import Image, ImageDraw

OUT = Path("resources/images")
PAPER_OUT = Path("resources/paper_images")


def colour_wheel(size=10):
    """Hue by angle, saturation by radius, like the paper's 10x10 wheel."""
    centre = (size - 1) / 2
    pixels = np.ones((size, size, 3))
    for row in range(size):
        for col in range(size):
            dy, dx = row - centre, col - centre
            radius = np.hypot(dx, dy) / centre
            if radius <= 1.0:
                hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
                pixels[row, col] = colorsys.hsv_to_rgb(hue, radius, 1.0)
    return Image.fromarray(np.uint8(np.round(pixels * 255)))


def logo(width=64, height=48):
    """A flat two-colour logo: a ring and a bar, few distinct singular modes."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, 42, 42), outline=(20, 60, 160), width=6)
    draw.rectangle((46, 8, 58, 40), fill=(200, 40, 40))
    return image


def fruit_logo(size=256):
    """A flat black fruit with a bite and a leaf on white, like the paper's
    256x256 logo: a few large uniform regions with curved edges."""
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    scale = size / 256
    box = [round(v * scale) for v in (44, 70, 212, 236)]
    draw.ellipse(box, fill=0)
    bite = [round(v * scale) for v in (180, 100, 244, 164)]
    draw.ellipse(bite, fill=255)
    leaf = [round(v * scale) for v in (122, 18, 162, 66)]
    draw.ellipse(leaf, fill=0)
    return image


def portrait(size=400):
    """The Grace Hopper photo, cropped to its top square and resized to
    ``size`` x ``size`` in gray: a stand-in for the paper's 400x400 photo."""
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as photo:
        side = min(photo.size)
        square = photo.crop((0, 0, side, side)).convert("L")
        return square.resize((size, size), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(
        matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False),
        OUT / "grace_hopper.jpg",
    )
    colour_wheel().save(OUT / "colour_wheel.png")
    logo().save(OUT / "logo.png")
    PAPER_OUT.mkdir(parents=True, exist_ok=True)
    portrait().save(PAPER_OUT / "photo400.png")
    fruit_logo().save(PAPER_OUT / "logo256.png")
    colour_wheel().save(PAPER_OUT / "colour_wheel.png")
