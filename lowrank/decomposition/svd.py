"""Truncated singular value decompositions, and the numerical rank that
singular values give.

Eckart-Young-Mirsky: the truncation A_k = U_k diag(s_k) V_k^T is a best rank-k
approximation of A in the spectral and the Frobenius norm, with
||A - A_k||_2 = s_{k+1} and ||A - A_k||_F^2 = sum_{j>k} s_j^2.
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SVD:
    """A thin SVD ``a = u @ diag(s) @ vt`` of an (m, n) matrix.

    Attributes
    ----------
    u : ndarray (m, r)
    s : ndarray (r,), non-increasing, non-negative
    vt : ndarray (r, n)
    """

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray

    @property
    def shape(self):
        return self.u.shape[0], self.vt.shape[1]

    def truncate(self, rank):
        """Return A_rank, the (m, n) rank-``rank`` truncation, in O(m n rank)."""
        rank = check_rank(rank, self.s.size)
        return (self.u[:, :rank] * self.s[:rank]) @ self.vt[:rank]

    def error_2(self, rank):
        """||A - A_rank||_2 = s_{rank+1} (zero when nothing is left out)."""
        rank = check_rank(rank, self.s.size)
        return float(self.s[rank]) if rank < self.s.size else 0.0

    def error_fro(self, rank):
        """||A - A_rank||_F = sqrt(sum_{j>rank} s_j^2)."""
        rank = check_rank(rank, self.s.size)
        return float(np.sqrt(np.sum(self.s[rank:] ** 2)))


def check_rank(rank, limit):
    """Return ``rank`` as int if it is an integer in 1..limit, else raise ValueError."""
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise ValueError(f"rank must be an integer, got {rank!r}")
    if not 1 <= rank <= limit:
        raise ValueError(f"rank must lie in 1..{limit}, got {rank}")
    return int(rank)


def thin_svd(a):
    """Exact thin SVD by LAPACK (``numpy.linalg.svd``), O(m n min(m, n))."""
    a = _as_matrix(a)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return SVD(u, s, vt)


def svd_errors(decompositions, rank):
    """Relative 2-norm and Frobenius errors of the rank-k SVD of a channel stack.

    Both follow from the singular values alone (Eckart-Young-Mirsky); the
    stack is read as a block-diagonal matrix. A zero input is reproduced
    exactly: 0 (see :mod:`lowrank.evaluation.metrics` on relative errors of zero).
    """
    top, total = stack_norms(decompositions)
    if top == 0.0:
        return 0.0, 0.0
    error_2 = max(d.error_2(rank) for d in decompositions)
    error_fro = math.sqrt(sum(d.error_fro(rank) ** 2 for d in decompositions))
    return error_2 / top, error_fro / total


def stack_norms(decompositions):
    """(||A||_2, ||A||_F) of a channel stack read as a block-diagonal matrix,
    from its singular values."""
    top = max((float(d.s[0]) for d in decompositions if d.s.size), default=0.0)
    total = math.sqrt(sum(float(np.sum(d.s**2)) for d in decompositions))
    return top, total


def _as_matrix(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"expected a non-empty 2-D matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("matrix contains NaN or infinite entries")
    return a


_FLOAT64_EPS = float(np.finfo(np.float64).eps)


def numerical_rank(b, eps=_FLOAT64_EPS, scale=None):
    """Number of singular values above max(m, n) * eps * scale (NumPy's rule).

    Pass the machine epsilon of the arithmetic that produced ``b`` (float32
    for a float32 network), since rounding there leaves tiny singular values,
    and the ``scale`` that rounding was relative to when it exceeds ``b``'s
    own largest singular value (the default): a network whose map is nearly
    zero computes it from weights and biases of ordinary size.
    """
    s = np.linalg.svd(np.asarray(b, dtype=np.float64), compute_uv=False)
    return rank_of_singular_values(s, np.shape(b), eps, scale)


def rank_of_singular_values(s, shape, eps=_FLOAT64_EPS, scale=None):
    """:func:`numerical_rank` of a matrix of ``shape`` whose singular values
    ``s`` are known (in descending order)."""
    top = max(s[0] if s.size else 0.0, scale or 0.0)
    if top == 0.0:
        return 0
    return int(np.sum(s > max(shape) * eps * top))
