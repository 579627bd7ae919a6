"""Write ms_ssim_reference.csv: TensorFlow's MS-SSIM of tests/quality_pairs.py.

    .venv/bin/python tests/data/make_ms_ssim_reference.py

``tf.image.ssim_multiscale`` (default weights, window 11, sigma 1.5) in
float64, per channel then averaged, on images (m, n, c) in [0, 1].
"""

import csv
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quality_pairs import pairs  # noqa: E402


def main():
    out = Path(__file__).with_name("ms_ssim_reference.csv")
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["original", "distortion", "ms_ssim", "tensorflow"])
        for name, distortion, image, distorted in pairs():
            value = tf.image.ssim_multiscale(
                tf.constant(np.moveaxis(image, 0, -1)),
                tf.constant(np.moveaxis(distorted, 0, -1)),
                max_val=1.0,
            )
            writer.writerow([name, distortion, f"{float(value):.12f}", tf.__version__])


if __name__ == "__main__":
    main()
