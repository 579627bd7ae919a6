"""Bjøntegaard-delta figures of the SVD factor formats against image codecs.

BD-rate is the average difference in bit rate, in percent, between two
rate-distortion curves over the PSNR range where both have points (negative:
the test needs fewer bits than the anchor); BD-PSNR the average difference in
PSNR over their common rate range, in dB. Both come from the maintained
``bjontegaard`` package with piecewise cubic Hermite interpolation (PCHIP),
the interpolation of the JCT-VC common-test-conditions Excel sheet, which the
package reproduces to at least 10 decimals (its README,
https://github.com/FAU-LMS/bjontegaard). A curve is first reduced
to its efficient points (each needs more bits and gives a higher PSNR than
the one before), since interpolation needs PSNR to rise with the rate, and
exact reconstructions (infinite PSNR) are left out.
"""

import math
import warnings

import numpy as np
import pandas as pd

from lowrank.evaluation.codecs import IMAGE_CODECS, SVD_FORMATS

ANCHORS = tuple(IMAGE_CODECS)
TESTS = tuple(f"svd-{fmt}" for fmt in SVD_FORMATS)
# Below this share of the two curves' joint PSNR range in common, a BD figure
# is an extrapolation more than a comparison: it is given with a note.
MIN_OVERLAP = 0.75
INTERPOLATION = "pchip"
COLUMNS = (
    "input", "test", "anchor", "bd_rate_percent", "bd_psnr_db",
    "psnr_low", "psnr_high", "overlap", "note",
)  # fmt: skip


def efficient_points(rows):
    """(bpp, psnr) arrays of ``rows`` with finite PSNR, sorted by rate, each
    point above the PSNR of every cheaper one."""
    rows = rows[np.isfinite(rows["psnr"]) & (rows["bpp"] > 0)]
    best = rows.groupby("bpp")["psnr"].max().sort_index()  # one point per rate
    kept = best > best.cummax().shift(fill_value=-math.inf)
    return best.index[kept].to_numpy(float), best[kept].to_numpy(float)


def bd_figures(anchor, test):
    """BD-rate (%) and BD-PSNR (dB) of ``test`` against ``anchor`` and the PSNR
    overlap behind them, each curve given as (bpp, psnr) arrays."""
    import bjontegaard

    if min(anchor[0].size, test[0].size) < 2:
        return {
            "bd_rate_percent": math.nan, "bd_psnr_db": math.nan,
            "psnr_low": math.nan, "psnr_high": math.nan, "overlap": 0.0,
            "note": "a curve has fewer than two points of finite PSNR: no BD figure",
        }  # fmt: skip
    low = max(anchor[1].min(), test[1].min())
    high = min(anchor[1].max(), test[1].max())
    joint = max(anchor[1].max(), test[1].max()) - min(anchor[1].min(), test[1].min())
    overlap = max(high - low, 0.0) / joint if joint > 0 else 0.0
    row = {"psnr_low": low, "psnr_high": high, "overlap": overlap, "note": ""}
    if high <= low:
        return {
            **row,
            "bd_rate_percent": math.nan,
            "bd_psnr_db": math.nan,
            "note": "the curves share no PSNR range: no BD figure",
        }
    with warnings.catch_warnings():  # the overlap is reported, not warned about
        warnings.simplefilter("ignore")
        rate = bjontegaard.bd_rate(
            *anchor,
            *test,
            method=INTERPOLATION,
            require_matching_points=False,
            min_overlap=0,
        )
        psnr = bjontegaard.bd_psnr(
            *anchor,
            *test,
            method=INTERPOLATION,
            require_matching_points=False,
            min_overlap=0,
        )
    if overlap < MIN_OVERLAP:
        row["note"] = (
            f"the curves share {overlap:.0%} of their PSNR range "
            f"({low:.1f}-{high:.1f} dB): read with care"
        )
    return {**row, "bd_rate_percent": float(rate), "bd_psnr_db": float(psnr)}


def bd_table(table):
    """One row per image, SVD format and codec, then their means over images
    (``input`` = ``mean``), from rate-distortion rows (columns input, method,
    bpp, psnr)."""
    rows = []
    if table.empty:  # a study of matrices alone has no codec rows
        return pd.DataFrame(rows, columns=list(COLUMNS))
    for name, image in table.groupby("input", sort=True):
        curves = {m: efficient_points(g) for m, g in image.groupby("method")}
        for test in TESTS:
            for anchor in ANCHORS:
                if test in curves and anchor in curves:
                    figures = bd_figures(curves[anchor], curves[test])
                    rows.append(
                        {"input": name, "test": test, "anchor": anchor, **figures}
                    )
    result = pd.DataFrame(rows, columns=list(COLUMNS))
    if result.empty:
        return result
    means = result.groupby(["test", "anchor"], sort=False)[
        ["bd_rate_percent", "bd_psnr_db"]
    ].mean()
    means = means.reset_index().assign(
        input="mean", note="mean over the images with a BD figure"
    )
    return pd.concat([result, means], ignore_index=True)[list(COLUMNS)]
