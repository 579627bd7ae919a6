"""The study's SSIMULACRA2 (the ``ssimulacra2`` package, as
``lowrank.evaluation.image_quality.ssimulacra2`` computes it) against an
independent implementation, vszip's (a Zig port of libjxl's tool, in the
VapourSynth plugin ``vapoursynth-vszip``), on the photo set:

    python bench/ssimulacra2_photos.py --vszip-python PYTHON > CSV

PYTHON is a Python >= 3.12 with ``vapoursynth`` and ``vapoursynth-vszip``
from PyPI (e.g. a venv of pyenv's 3.12). Each photo of resources/photos is
encoded with every codec of the study at three qualities and as the svd-q8
stream at three ranks; both implementations score the same 8-bit decoded
picture (written as PNG) against the photo. Prints one CSV row a pair.
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from lowrank.colour import eight_bit_image
from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.codecs import IMAGE_CODECS, image_codec
from lowrank.evaluation.image_quality import ssimulacra2
from lowrank.evaluation.svd_streams import AS_READ, decode_svd, encode_svd
from lowrank.inputs.images import load_image

PHOTOS = Path(__file__).resolve().parents[1] / "resources" / "photos"
QUALITIES = (15, 45, 85)
RANK_FRACTIONS = (0.02, 0.08, 0.3)  # of min(m, n)
VSZIP = """
import json, sys
import vapoursynth as vs
scores = []
for reference, distorted in json.loads(sys.argv[1]):
    clips = [vs.core.vszip.ImageRead(path) for path in (reference, distorted)]
    frame = vs.core.vszip.SSIMULACRA2(*clips).get_frame(0)
    scores.append(frame.props["SSIMULACRA2"])
print(json.dumps(scores))
"""


def distortions(picture):
    """(name, decoded 8-bit picture in [0, 1]) of every codec and SVD point."""
    for codec in IMAGE_CODECS:
        for quality in QUALITIES:
            yield f"{codec} q{quality}", image_codec(picture, codec, quality)[0]
    decompositions = [thin_svd(channel) for channel in picture]
    for fraction in RANK_FRACTIONS:
        rank = max(1, round(fraction * min(picture.shape[1:])))
        decoded = decode_svd(encode_svd(decompositions, rank, "q8", AS_READ))
        shown = np.asarray(eight_bit_image(np.clip(decoded, 0, 1)), dtype=float)
        yield f"svd-q8 rank {rank}", np.moveaxis(shown / 255.0, -1, 0)


def save_png(picture, path):
    eight_bit_image(picture).save(path)
    return str(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vszip-python", required=True)
    args = parser.parse_args()
    rows, pairs = [], []
    with tempfile.TemporaryDirectory() as folder:
        for photo in sorted(PHOTOS.glob("*.png")):
            picture = load_image(photo, mode="rgb")
            reference = save_png(picture, Path(folder, f"{photo.stem}.png"))
            for index, (name, distorted) in enumerate(distortions(picture)):
                path = save_png(distorted, Path(folder, f"{photo.stem}-{index}.png"))
                pairs.append((reference, path))
                score = ssimulacra2(picture, distorted)
                rows.append({"photo": photo.stem, "distortion": name, "package": score})
        finished = subprocess.run(
            [args.vszip_python, "-c", VSZIP, json.dumps(pairs)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    for row, score in zip(rows, json.loads(finished.stdout), strict=True):
        row["vszip"] = score
        row["difference"] = row["package"] - score
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
        )


if __name__ == "__main__":
    main()
