"""HDF5 files written so that they appear whole or not at all, and read only
after their declared layout is checked: the layer under :mod:`lowrank.records`
that a crafted or damaged file meets first."""

import contextlib
import os
from pathlib import Path

import h5py
import numpy as np

from lowrank.errors import RecordError

# The most numbers one dataset may declare: three channels of the largest
# image the config allows (images.max_pixels). A crafted file's header can ask
# for terabytes; it is refused before anything is read.
MAX_DATASET_ELEMENTS = 3 * 178_956_970
# The filters lowrank writes (gzip after byte shuffling): any other one is
# code a crafted file would make HDF5 run.
ALLOWED_FILTERS = {h5py.h5z.FILTER_DEFLATE, h5py.h5z.FILTER_SHUFFLE}


@contextlib.contextmanager
def atomic_h5(path):
    """Open ``path`` for writing so that it appears complete or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(temporary, "w") as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def open_checked(path, schema):
    try:
        handle = h5py.File(path, "r")
    except FileNotFoundError as error:
        raise RecordError(f"{path}: no such file") from error
    except OSError as error:
        raise RecordError(f"{path}: not a readable HDF5 file ({error})") from error
    with handle:
        try:
            found = _plain(handle.attrs.get("schema"))
        except (UnicodeError, OSError) as error:
            raise RecordError(f"{path}: unreadable schema ({error})") from error
        if not isinstance(found, str) or found != schema:
            raise RecordError(f"{path}: schema {found!r}, expected {schema!r}")
        yield handle


def checked_dataset(handle, path, name, ndim, shape=None):
    """The dataset ``name`` as float64, read only after its declared shape,
    type and storage are checked: no links out of the file, no external or
    virtual storage (another file's bytes), no more numbers than any record
    holds, chunks no larger than the dataset (a chunk is decompressed whole),
    only gzip and shuffle filters, and exactly ``shape`` where given."""
    if not isinstance(handle.get(name, getlink=True), h5py.HardLink) or not (
        isinstance(handle[name], h5py.Dataset)
    ):
        raise RecordError(f"{path}: missing dataset '{name}'")
    dataset = handle[name]
    if dataset.external or dataset.is_virtual:
        raise RecordError(f"{path}: dataset '{name}' is stored outside the file")
    if dataset.dtype.kind not in "fiu":
        raise RecordError(f"{path}: dataset '{name}' holds {dataset.dtype} values")
    if len(dataset.shape) != ndim:
        raise RecordError(
            f"{path}: dataset '{name}' has {len(dataset.shape)} dims, expected {ndim}"
        )
    if shape is not None and dataset.shape != shape:
        raise RecordError(
            f"{path}: dataset '{name}' has shape {dataset.shape}, expected {shape}"
        )
    if dataset.size > MAX_DATASET_ELEMENTS:
        raise RecordError(
            f"{path}: dataset '{name}' declares shape {dataset.shape}, more "
            f"numbers than any lowrank file holds"
        )
    if dataset.chunks and any(
        chunk > max(side, 1) for chunk, side in zip(dataset.chunks, dataset.shape)
    ):
        raise RecordError(
            f"{path}: dataset '{name}' has chunks {dataset.chunks} larger than "
            f"its shape {dataset.shape}"
        )
    plist = dataset.id.get_create_plist()
    filters = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
    if filters - ALLOWED_FILTERS:
        raise RecordError(
            f"{path}: dataset '{name}' uses HDF5 filter(s) "
            f"{sorted(filters - ALLOWED_FILTERS)}; lowrank writes gzip and shuffle only"
        )
    try:
        data = dataset[()]
    except OSError as error:
        raise RecordError(
            f"{path}: dataset '{name}' is unreadable ({error})"
        ) from error
    return np.asarray(data, dtype=np.float64)


def checked_attrs(handle, path, types):
    """The attributes named in ``types`` (name -> str, int, float or bool) as
    plain Python values, each checked to be readable and of its type."""
    missing = [name for name in types if name not in handle.attrs]
    if missing:
        raise RecordError(f"{path}: missing attribute(s) {missing}")
    values = {}
    for name, kind in types.items():
        try:
            value = _plain(handle.attrs[name])
        except (UnicodeError, OSError) as error:
            raise RecordError(
                f"{path}: attribute '{name}' is unreadable ({error})"
            ) from error
        if kind is float and _is_integer(value):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and not _is_integer(value)):
            raise RecordError(
                f"{path}: attribute '{name}' is {type(value).__name__} {value!r:.40}, "
                f"expected {kind.__name__}"
            )
        values[name] = value
    return values


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        # h5py reads invalid UTF-8 as surrogates: refused here, not when the
        # text is written again far from this file.
        value.encode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value
