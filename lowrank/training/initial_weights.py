"""A network's first weights, drawn by NumPy from the regime's seed.

Keras draws initial weights from the backend's own generator: TensorFlow and
JAX give different networks for one seed, and results that differ far beyond
float round-off. Drawn here instead, the initializer's distribution is the
same (Keras' own parameters: scale, mode, distribution, gain) and a seed
means one network on every backend.
"""

import math

import numpy as np

# Keras' correction that gives a normal truncated at two standard deviations
# the variance asked for.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def initial_kernel(initializer, shape, rng):
    """A (fan_in, fan_out) kernel from the Keras ``initializer`` instance.

    Supported: the variance-scaling family (``he_normal``, ``glorot_uniform``,
    ``lecun_normal`` …), ``orthogonal``, ``random_normal``, ``random_uniform``,
    ``truncated_normal``, ``zeros``, ``ones``, ``constant``, ``identity``;
    anything else raises ValueError naming it.
    """
    kind = type(initializer).__name__
    if hasattr(initializer, "distribution") and hasattr(initializer, "mode"):
        return _variance_scaling(initializer, shape, rng)
    if kind == "Orthogonal":
        return initializer.gain * _orthogonal(shape, rng)
    if kind == "RandomNormal":
        return rng.normal(initializer.mean, initializer.stddev, shape)
    if kind == "TruncatedNormal":
        return initializer.mean + initializer.stddev * _truncated_normal(shape, rng)
    if kind == "RandomUniform":
        return rng.uniform(initializer.minval, initializer.maxval, shape)
    if kind == "Zeros":
        return np.zeros(shape)
    if kind == "Ones":
        return np.ones(shape)
    if kind == "Constant":
        return np.full(shape, float(initializer.value))
    if kind in ("Identity", "IdentityInitializer"):
        return initializer.gain * np.eye(*shape)
    raise ValueError(
        f"initializer {kind} has no backend-independent draw; use a variance-"
        "scaling one (he_normal, glorot_uniform, ...), orthogonal, "
        "random_normal, random_uniform, truncated_normal or a constant"
    )


def _variance_scaling(initializer, shape, rng):
    fan_in, fan_out = shape
    fan = {"fan_in": fan_in, "fan_out": fan_out}.get(
        initializer.mode, (fan_in + fan_out) / 2.0
    )
    scale = initializer.scale / max(1.0, fan)
    if initializer.distribution == "truncated_normal":
        stddev = math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV
        return stddev * _truncated_normal(shape, rng)
    if initializer.distribution == "untruncated_normal":
        return rng.normal(0.0, math.sqrt(scale), shape)
    limit = math.sqrt(3.0 * scale)
    return rng.uniform(-limit, limit, shape)


def _truncated_normal(shape, rng):
    """Standard normal values, each redrawn until it lies within two."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(outside.sum())
        outside = np.abs(values) > 2.0
    return values


def _orthogonal(shape, rng):
    """Orthonormal rows or columns, as Keras' Orthogonal makes them: Q of the
    QR of a normal matrix, its signs fixed by R's diagonal."""
    rows, columns = shape
    q, r = np.linalg.qr(rng.standard_normal((max(rows, columns), min(rows, columns))))
    q *= np.sign(np.diag(r))
    return q.T if rows < columns else q
