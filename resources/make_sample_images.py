"""Regenerate the sample images in resources/images/ (run from the repo root)."""

import colorsys
import shutil
from pathlib import Path

import matplotlib.cbook
import numpy as np
from PIL import Image, ImageDraw

OUT = Path("resources/images")


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


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(
        matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False),
        OUT / "grace_hopper.jpg",
    )
    colour_wheel().save(OUT / "colour_wheel.png")
    logo().save(OUT / "logo.png")
