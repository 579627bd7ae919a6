"""What a study found, as numbers computed from its tables: the facts the
report page states in sentences (:mod:`lowrank.report.page` lays them out)."""

import math
from dataclasses import dataclass

import numpy as np

from lowrank.evaluation.svd_streams import ALLOCATED_FORMAT
from lowrank.methods import is_network

# Above this PSNR a reconstruction is indistinguishable from the original for
# 8-bit display, so format losses there are not reported.
VISIBLE_PSNR = 60.0


@dataclass(frozen=True)
class NetworkGap:
    """How close one network method came to the SVD over a set of rows."""

    method: str
    largest: float  # largest |delta rel. 2-norm error|
    median: float
    pairs: int  # (input, rank) pairs with a measured delta
    worst_input: str
    worst_rank: int
    train_seconds: float


def network_gaps(table):
    """A :class:`NetworkGap` for each network method of ``table`` with at
    least one measured delta."""
    for method, rows in table[table["method"].map(is_network)].groupby("method"):
        gaps = rows["delta_rel_err_2"].abs()
        if gaps.notna().any():
            worst = rows.loc[gaps.idxmax()]
            yield NetworkGap(
                method, float(gaps.max()), float(gaps.median()),
                int(gaps.notna().sum()), str(worst["input"]), int(worst["rank"]),
                float(rows["train_seconds"].sum()),
            )  # fmt: skip


def failed_rows(summary):
    return summary[summary["status"] != "ok"]


def warned_rows(summary):
    """The rows that finished ok but say something: a record's warning."""
    message = summary["message"].fillna("")
    return summary[(summary["status"] == "ok") & (message != "")]


def counts(series):
    """(value, count) pairs, most frequent first."""
    return list(series.value_counts().items())


def rate_distortion_facts(table):
    """One sentence of numbers comparing JPEG and 8-bit SVD factors."""
    jpeg = table[table["method"] == "jpeg"].sort_values("bpp")
    q8 = table[table["method"] == "svd-q8"].sort_values("bpp")
    if jpeg.empty or q8.empty:
        return ""
    lowest = jpeg.iloc[0]
    reachable = q8[q8["psnr"] >= lowest["psnr"]]
    need = (
        f"the 8-bit SVD factors need {reachable.iloc[0]['bpp']:.3g} bpp "
        f"(rank {int(reachable.iloc[0]['rank'])}) for the same PSNR"
        if not reachable.empty
        else "the 8-bit SVD factors never reach that PSNR"
    )
    sentences = [
        f"JPEG at quality {int(lowest['quality'])} reaches {lowest['psnr']:.1f} dB at "
        f"{lowest['bpp']:.3g} bits per pixel; {need}."
    ]
    at_one = q8.iloc[(q8["bpp"] - 1.0).abs().argmin()]
    if 2 / 3 <= at_one["bpp"] <= 1.5 and jpeg["bpp"].min() <= at_one["bpp"]:
        jpeg_there = np.interp(at_one["bpp"], jpeg["bpp"], jpeg["psnr"])
        sentences.append(
            f"At {at_one['bpp']:.3g} bpp, 8-bit SVD factors (rank "
            f"{int(at_one['rank'])}) give {at_one['psnr']:.1f} dB, JPEG about "
            f"{jpeg_there:.1f} dB."
        )
    sentences.append(
        f"At equal rank, while float32 factors stay below {VISIBLE_PSNR:.0f} dB, "
        f"float16 factors lose at most {psnr_loss(table, 'svd-f16'):.2g} dB and "
        f"8-bit factors at most {psnr_loss(table, 'svd-q8'):.2g} dB, for half and "
        "about a quarter of the bits."
    )
    return " ".join(sentences)


def psnr_loss(table, method, reference="svd-f32"):
    """Largest PSNR drop of ``method`` against ``reference`` at equal rank,
    over the ranks where the reference is below :data:`VISIBLE_PSNR`."""
    pivot = table[table["method"].isin([method, reference])].pivot_table(
        index="rank", columns="method", values="psnr"
    )
    if not {method, reference} <= set(pivot.columns):
        return math.nan
    visible = pivot[pivot[reference] < VISIBLE_PSNR].dropna()
    return float((visible[reference] - visible[method]).max())


def allocation_gains(bd_rates):
    """(image, BD-rate % over PSNR-RGB) of the YCbCr SVD format with ranks
    and code widths allocated per channel against equal ranks of the
    channels the image was read in, per image (``bd_rates``: the per-image
    table of :func:`lowrank.evaluation.bdrate.bd_table`)."""
    if bd_rates is None or bd_rates.empty:
        return []
    rows = bd_rates[
        (bd_rates["test"] == f"svd-{ALLOCATED_FORMAT}")
        & (bd_rates["anchor"] == "svd-q8") & (bd_rates["metric"] == "psnr")
    ].dropna(subset=["bd_rate_percent"])  # fmt: skip
    return [(row.input, float(row.bd_rate_percent)) for row in rows.itertuples()]
