"""The study's summary table: one row per (input, member, rank, method).

Image inputs add the rate-distortion points (methods ``svd-f32``,
``svd-f16``, ``svd-q8`` per rank and ``jpeg`` per quality).
"""

import math

import numpy as np
import pandas as pd

from lowrank.errors import SummarySchemaError
from lowrank.methods import is_network

COLUMNS = (
    "input", "member", "kind", "mode", "layout", "rows", "cols", "channels", "rank",
    "method",
    "status", "message", "rel_err_2", "rel_err_fro", "delta_rel_err_2",
    "delta_rel_err_fro",
    "svd_rel_err_2", "svd_rel_err_fro", "numerical_rank", "principal_angle",
    "psnr", "ssim", "psnr_y", "ms_ssim", "ssimulacra2", "bpp", "bits", "quality",
    "ranks", "factor_bits", "encoder", "stored_numbers", "compression_ratio",
    "train_seconds", "train_cpu_seconds", "train_peak_mb", "device", "backend",
    "steps", "converged",
    "final_loss", "record",
)  # fmt: skip


def _input_columns(item):
    channels, rows, cols = item.matrix.shape
    return {
        "input": item.set,
        "member": item.member,
        "kind": item.kind,
        "mode": item.mode or math.nan,  # a matrix is not read in a mode
        "layout": item.layout,
        "rows": rows,
        "cols": cols,
        "channels": channels,
    }


def summary_row(item, record, measures, path):
    """One row from an input (``InputMatrix``), a ``Record`` of it and the
    record's ``measures`` (:func:`lowrank.evaluation.scores.evaluate`).

    ``bpp`` (images only) counts the stored numbers at their precision: 64 bits
    for the SVD's float64 factors, the network's dtype for its weights.
    """
    rows, cols = item.picture_shape
    trained = is_network(record.method)
    bits = np.dtype(record.settings.get("dtype", "float64")).itemsize * 8
    bpp = record.stored_numbers * bits / (rows * cols)
    return {
        **measures,
        **_input_columns(item),
        "bpp": bpp if item.kind == "image" else math.nan,
        "rank": record.rank,
        "method": record.method,
        "train_seconds": record.seconds if trained else math.nan,
        "train_cpu_seconds": record.cpu_seconds if trained else math.nan,
        "train_peak_mb": record.peak_mb if trained else math.nan,
        "device": record.device,
        "backend": record.backend,
        "steps": record.steps,
        "converged": record.converged,
        "status": record.status,
        "message": record.message,
        "record": str(path),
    }


def rate_distortion_summary_rows(item, table, path):
    """Summary rows of one image's rate-distortion table (a DataFrame).

    Codecs decode deterministically: no steps, always converged.
    """
    return [
        {
            **_input_columns(item),
            **point,
            "steps": 0,
            "converged": True,
            "status": "ok",
            "message": "",
            "record": str(path),
        }
        for point in table.to_dict("records")
    ]


# Columns read back as text even when every value looks like a number or a
# missing value (inputs named 0001, NA, nan or True).
TEXT_COLUMNS = (
    "input", "kind", "method", "status", "message", "record", "test", "anchor",
    "note", "set", "device", "backend", "ranks", "factor_bits", "metric", "mode",
    "aggregated", "encoder", "layout",
)  # fmt: skip


def read_csv(path):
    """A CSV table that lowrank wrote: the text columns as text, and only
    empty cells (pandas writes NaN so) missing."""
    return pd.read_csv(
        path,
        dtype=dict.fromkeys(TEXT_COLUMNS, str),
        keep_default_na=False,
        na_values=[""],
    )


def read_table(path):
    """Read a table that :func:`summary_table` wrote as CSV (one input's
    evaluation, or the summary); fail naming ``path`` if its columns differ."""
    table = read_csv(path)
    if tuple(table.columns) != COLUMNS:
        raise ValueError(
            f"{path}: not a lowrank summary table (columns {list(table.columns)})"
        )
    # CSV cannot tell an empty text from a missing one: these are text.
    for column in ("message", "device", "backend"):
        table[column] = table[column].fillna("")
    return table


def summary_table(rows):
    """A DataFrame with :data:`COLUMNS`, sorted by input, member, rank, method.

    Raises :class:`lowrank.errors.SummarySchemaError`, naming them, when a
    row has keys that are not columns: a producer's new measure must be
    added to :data:`COLUMNS` (and the README's table), not lost.
    """
    rows = list(rows)
    unknown = set().union(*rows) - set(COLUMNS) if rows else set()
    if unknown:
        raise SummarySchemaError(
            f"summary rows have keys that are not summary columns: {sorted(unknown)}"
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    order = ["input", "member", "rank", "method", "quality"]
    return table.sort_values(order, ignore_index=True, na_position="last")


# Counts that a row may lack (a codec row has no rank): pandas holds them as
# floats beside the missing ones, and the CSV would say ``1.0``. (A codec's
# quality is a setting, not a count: some codecs take 2.5.)
WHOLE_NUMBER_COLUMNS = (
    "member", "rows", "cols", "channels", "rank", "numerical_rank", "bits",
    "stored_numbers", "steps",
)  # fmt: skip


def write_csv(table, path):
    """Write a summary-shaped ``table`` as CSV, its counts as whole numbers."""
    table.astype(dict.fromkeys(WHOLE_NUMBER_COLUMNS, "Int64")).to_csv(path, index=False)


def write_summary(table, csv_path, hdf_path):
    """Write ``table`` as CSV and as a PyTables HDF5 table under key ``summary``."""
    write_csv(table, csv_path)
    table.to_hdf(hdf_path, key="summary", mode="w", format="table")
