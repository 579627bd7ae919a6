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

from lowrank.errors import StudySpecError

FAMILIES = ("identity", "diag", "uniform", "symmetric")
SYMMETRIZE = ("upper", "mean")
_REQUIRED = {
    "identity": ("n",),
    "diag": ("n",),
    "uniform": ("count", "shape", "seed"),
    "symmetric": ("count", "n", "seed"),
}


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


def member_spec(spec):
    """What decides a member's numbers: the family and the keys it reads,
    without ``count`` (how many members) or ``ranks``. A ``prepare`` job gets
    this, so that changing another key re-prepares nothing."""
    family = spec.get("family")
    keys = [key for key in _REQUIRED.get(family, ()) if key != "count"]
    defining = {"family": family, **{key: spec[key] for key in keys if key in spec}}
    if family == "symmetric":
        defining["symmetrize"] = spec.get("symmetrize", "upper")
    return defining


def build_member(name, spec, member):
    """Member ``member`` of :func:`build_members` ``(name, spec)``, the same
    numbers, without drawing the members before it: the generator skips their
    draws (one 64-bit output per uniform double)."""
    return _build(name, spec, member)[0]


def member_layout(name, spec):
    """(count, (m, n)) of the members of one specification, checked as
    :func:`build_members` checks it, without building any: planning a study
    needs their number and shape only."""
    return _layout(name, spec, None)


def _layout(name, spec, member):
    family = spec.get("family")
    if family not in FAMILIES:
        raise StudySpecError(
            f"matrices.{name}.family: expected one of {FAMILIES}, got {family!r}"
        )
    # One member needs no count: members do not depend on how many there are.
    needed = [key for key in _REQUIRED[family] if member is None or key != "count"]
    missing = [key for key in needed if key not in spec]
    if missing:
        raise StudySpecError(f"matrices.{name}: missing key(s) {missing} for {family}")
    count = 1 if family in ("identity", "diag") else spec.get("count")
    count = member + 1 if count is None else _positive(name, "count", count)
    if member is not None and not 0 <= member < count:
        raise StudySpecError(f"matrices.{name}: no member {member} of {count}")
    if family == "uniform":
        shape = tuple(_positive(name, "shape", size) for size in spec["shape"])
    else:
        shape = (_positive(name, "n", spec["n"]),) * 2
    if family == "symmetric" and spec.get("symmetrize", "upper") not in SYMMETRIZE:
        raise StudySpecError(
            f"matrices.{name}.symmetrize: expected one of {SYMMETRIZE}, "
            f"got {spec.get('symmetrize')!r}"
        )
    return count, shape


def _build(name, spec, member):
    count, shape = _layout(name, spec, member)
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


def _positive(name, key, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise StudySpecError(
            f"matrices.{name}.{key}: expected a positive integer, got {value!r}"
        )
    return int(value)
