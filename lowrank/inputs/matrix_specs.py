"""What a study-matrix specification says, checked without building a
matrix: its members' number and shape, and the keys that decide a member's
numbers. Planning a study reads only these, so this module imports no NumPy
(see :mod:`lowrank.inputs.matrices` for the families and the builders)."""

import numbers

from lowrank.errors import StudySpecError

FAMILIES = ("identity", "diag", "uniform", "symmetric")
SYMMETRIZE = ("upper", "mean")
_REQUIRED = {
    "identity": ("n",),
    "diag": ("n",),
    "uniform": ("count", "shape", "seed"),
    "symmetric": ("count", "n", "seed"),
}


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


def member_layout(name, spec):
    """(count, (m, n)) of the members of one specification, checked as
    :func:`build_members` checks it, without building any: planning a study
    needs their number and shape only."""
    return checked_layout(name, spec, None)


def checked_layout(name, spec, member):
    """(count, (m, n)) of a specification, each key checked; for one
    ``member`` (not None) its count is not needed."""
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


def _positive(name, key, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise StudySpecError(
            f"matrices.{name}.{key}: expected a positive integer, got {value!r}"
        )
    return int(value)
