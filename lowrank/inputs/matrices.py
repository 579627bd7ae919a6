"""Study matrices built from a declarative specification.

A specification is a mapping with a ``family`` key:

- ``identity``: ``n`` -> the n x n identity (every singular value is 1).
- ``diag``: ``n`` -> diag(0, 1, ..., n-1), the paper's M_n.
- ``uniform``: ``count``, ``shape`` [m, n], ``seed`` -> ``count`` matrices
  with entries drawn from U(0, 1).
- ``symmetric``: ``count``, ``n``, ``seed`` -> ``count`` symmetric matrices
  made from R drawn as in ``uniform``: its upper triangle mirrored
  (``symmetrize: upper``, the default: every entry U(0, 1)) or (R + R^T) / 2
  (``symmetrize: mean``). The paper does not say which it used; upper
  reproduces its Figure 12 better (bench/paper_variants.md).

Every family returns a list of members, so single matrices and random sets are
handled alike.
"""

import numpy as np

from lowrank.inputs.matrix_specs import checked_layout


def build_members(name, spec):
    """Build the matrices of one study specification.

    Parameters
    ----------
    name : str
        The specification's name, used in error messages.
    spec : mapping
        See the module docstring; extra keys such as ``ranks`` are ignored.

    Returns
    -------
    list of ndarray, each (m, n) float64
    """
    return _build(name, spec, None)


def build_member(name, spec, member):
    """Member ``member`` of :func:`build_members` ``(name, spec)``, the same
    numbers, without drawing the members before it: the generator skips their
    draws (one 64-bit output per uniform double)."""
    return _build(name, spec, member)[0]


def _build(name, spec, member):
    count, shape = checked_layout(name, spec, member)
    family = spec["family"]
    if family == "identity":
        return [np.eye(shape[0])]
    if family == "diag":
        return [np.diag(np.arange(shape[0], dtype=np.float64))]
    rng = np.random.default_rng(spec["seed"])
    if member is not None:
        rng.bit_generator.advance(member * shape[0] * shape[1])
    draws = [rng.uniform(size=shape) for _ in range(count if member is None else 1)]
    if family == "uniform":
        return draws
    if spec.get("symmetrize", "upper") == "mean":
        return [(draw + draw.T) / 2.0 for draw in draws]
    return [np.triu(draw) + np.triu(draw, 1).T for draw in draws]


def gapped_spectrum_matrix(n, rank, ratio, seed=0):
    """An n x n matrix U diag(s) V^T with a controlled gap at ``rank``.

    U and V are random orthogonal (seeded); s_i = 0.97^i, except that
    s_{rank+1} / s_rank = ``ratio`` (and the 3 % decay goes on after it), so
    that the convergence rate of subspace-type methods at ``rank`` is known.

    Returns
    -------
    matrix : ndarray (n, n)
    singular_values : ndarray (n,), descending
    """
    if not 1 <= rank < n or not 0 < ratio <= 1:
        raise ValueError(f"need 1 <= rank < n and 0 < ratio <= 1, got {rank}, {ratio}")
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 0.97 ** np.arange(n)
    s[rank:] = s[rank - 1] * ratio * 0.97 ** np.arange(n - rank)
    return (u * s) @ v.T, s
