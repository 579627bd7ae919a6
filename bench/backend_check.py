"""Exact-regime training on whatever device the Keras backend sees.

    KERAS_BACKEND=jax python bench/backend_check.py

Prints the backend, its devices, and for the Grace Hopper photo (ranks 1, 10,
50) and a 10x10 random matrix (rank 5): |delta| (network minus SVD relative
2-norm error), sweeps, and training wall time. Run it once with
JAX_PLATFORMS=cpu and once without to compare CPU and GPU in one session.
"""

import time

import keras
import matplotlib.cbook
import numpy as np

from lowrank.decomposition.svd import thin_svd
from lowrank.inputs.images import load_image
from lowrank.training.train import ExactRegime, PaperRegime, train


def devices():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [str(device) for device in jax.devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        return [device.name for device in tf.config.list_logical_devices()]
    return ["unknown"]


def report(name, matrix, rank, regime):
    decomposition = thin_svd(matrix)
    start = time.perf_counter()
    result = train(matrix, rank, regime)
    seconds = time.perf_counter() - start
    error = np.linalg.norm(matrix - result.matrix, 2) / decomposition.s[0]
    delta = error - decomposition.error_2(rank) / decomposition.s[0]
    regime_name = type(regime).__name__
    print(
        f"{name:>22} {regime_name:>11} rank {rank:>2}: |delta| {abs(delta):.2e}  "
        f"steps {result.steps:>4}  {seconds:6.2f} s",
        flush=True,
    )


def main():
    print(f"backend {keras.backend.backend()}, devices {devices()}")
    photo_path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = load_image(photo_path)[0]
    random = np.random.default_rng(0).uniform(size=(10, 10))
    report("warm-up 10x10", random, 5, ExactRegime())
    for rank in (1, 10, 50):
        report("grace_hopper 600x512", photo, rank, ExactRegime())
    report("random 10x10", random, 5, ExactRegime())
    report("random 10x10", random, 5, PaperRegime())


if __name__ == "__main__":
    main()
