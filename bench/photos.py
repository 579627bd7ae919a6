"""Four ordinary photos for a study that is not the samples:

    python bench/photos.py FOLDER

scikit-image's test photos (public domain or CC0, shipped in its wheel):
camera (512x512 gray), coins (303x384 gray), text (172x448 gray) and
astronaut (512x512 RGB, which the study reads as gray), as PNG in FOLDER.
"""

import sys
from pathlib import Path

import skimage.data
from PIL import Image

PHOTOS = ("camera", "coins", "text", "astronaut")


def main():
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name in PHOTOS:
        Image.fromarray(getattr(skimage.data, name)()).save(folder / f"{name}.png")
        print(folder / f"{name}.png")


if __name__ == "__main__":
    main()
