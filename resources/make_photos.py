"""Add the photographs of scikit-image and Matplotlib to resources/photos/
(run from the repository root, with the test extra installed: make setup).

The four JPEG XL test-data photos are copied by hand from Debian's
libjxl-testdata (resources/README.md). The photos made here come from the
sample data that the scikit-image and Matplotlib wheels carry; the two whose
sources are JPEG files of more than 700 px a side are reduced with Lanczos
(which smooths their JPEG block edges) and stored as PNG. Every file's
SHA-256 is then checked against photos/SHA256SUMS.
"""

import hashlib
import shutil
from pathlib import Path

import matplotlib.cbook
import skimage
from PIL import Image

OUT = Path("resources/photos")
SKIMAGE_DATA = Path(skimage.__file__).parent / "data"
HOPPER = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
COPIED = {
    "astronaut.png": SKIMAGE_DATA / "astronaut.png",
    "ihc.png": SKIMAGE_DATA / "ihc.png",
    "grace_hopper.jpg": Path(HOPPER),
}
# name -> (source, reduced width x height)
REDUCED = {
    "retina.png": (SKIMAGE_DATA / "retina.jpg", (706, 706)),
    "hubble_deep_field.png": (SKIMAGE_DATA / "hubble_deep_field.jpg", (600, 523)),
}


def main():
    for name, source in COPIED.items():
        shutil.copyfile(source, OUT / name)
    for name, (source, size) in REDUCED.items():
        with Image.open(source) as image:
            image.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(OUT / name)
    for line in (OUT / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        found = hashlib.sha256((OUT / name).read_bytes()).hexdigest()
        if found != digest:
            raise SystemExit(f"{OUT / name}: SHA-256 {found}, listed {digest}")


if __name__ == "__main__":
    main()
