"""The study's summary table: one row per (input, member, rank, method)."""

import math

import pandas as pd

COLUMNS = (
    "input", "member", "kind", "rows", "cols", "channels", "rank", "method",
    "rel_err_2", "rel_err_fro", "delta_rel_err_2", "delta_rel_err_fro",
    "svd_rel_err_2", "svd_rel_err_fro", "numerical_rank", "principal_angle",
    "psnr", "ssim", "stored_numbers", "compression_ratio", "train_seconds",
    "steps", "converged", "final_loss", "record",
)  # fmt: skip


def summary_row(item, record, path):
    """One row from an input (``InputMatrix``) and its evaluated ``Record``."""
    channels, rows, cols = item.matrix.shape
    trained = record.method.startswith("nn-")
    return {
        **record.metrics,
        "input": item.set,
        "member": item.member,
        "kind": item.kind,
        "rows": rows,
        "cols": cols,
        "channels": channels,
        "rank": record.rank,
        "method": record.method,
        "train_seconds": record.seconds if trained else math.nan,
        "steps": record.steps,
        "converged": record.converged,
        "record": str(path),
    }


def summary_table(rows):
    """A DataFrame with :data:`COLUMNS`, sorted by input, member, rank, method."""
    table = pd.DataFrame(list(rows), columns=list(COLUMNS))
    return table.sort_values(["input", "member", "rank", "method"], ignore_index=True)


def write_summary(table, csv_path, hdf_path):
    """Write ``table`` as CSV and as a PyTables HDF5 table under key ``summary``."""
    table.to_csv(csv_path, index=False)
    table.to_hdf(hdf_path, key="summary", mode="w", format="table")
