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
        found = handle.attrs.get("schema")
        if found != schema:
            raise RecordError(f"{path}: schema {found!r}, expected {schema!r}")
        yield handle


def checked_dataset(handle, path, name, ndim, shape=None):
    """The dataset ``name`` as float64, read only after its declared shape,
    type and storage are checked: no links out of the file, no external or
    virtual storage (another file's bytes), no more numbers than any record
    holds, and exactly ``shape`` where given."""
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
    try:
        data = dataset[()]
    except OSError as error:
        raise RecordError(
            f"{path}: dataset '{name}' is unreadable ({error})"
        ) from error
    return np.asarray(data, dtype=np.float64)


def checked_attrs(handle, path, names):
    missing = [name for name in names if name not in handle.attrs]
    if missing:
        raise RecordError(f"{path}: missing attribute(s) {missing}")
    return {name: _plain(handle.attrs[name]) for name in names}


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
