"""Bjøntegaard-delta figures of the SVD factor formats against image codecs.

BD-rate is the average difference in bit rate, in percent, between two
rate-distortion curves over the quality range where both have points
(negative: the test needs fewer bits than the anchor), for each quality
measure in turn (PSNR-RGB, PSNR-Y, SSIM, MS-SSIM, SSIMULACRA2); BD-quality
the average difference of the measure over their common rate range (dB for
PSNR). Figures are given per image, as the mean over images with their
spread, and on the set's mean curves (:func:`set_curves`: per codec the mean
bits per pixel and quality over the images at each quality step, as
CompressAI averages them; per SVD format at each rank every image has).
Both come from the maintained
``bjontegaard`` package with piecewise cubic Hermite interpolation (PCHIP),
the interpolation of the JCT-VC common-test-conditions Excel sheet, which the
package reproduces to at least 10 decimals (its README,
https://github.com/FAU-LMS/bjontegaard). A curve is first reduced
to its efficient points (each needs more bits and gives a higher quality than
the one before), since interpolation needs quality to rise with the rate,
and exact reconstructions (infinite PSNR) are left out.
"""

import math
import warnings

import numpy as np
import pandas as pd

from lowrank.evaluation.codecs import IMAGE_CODECS
from lowrank.evaluation.image_quality import QUALITY_COLUMNS
from lowrank.evaluation.svd_streams import ALLOCATED_FORMAT, SVD_FORMATS

ANCHORS = tuple(IMAGE_CODECS)
TESTS = (*(f"svd-{fmt}" for fmt in SVD_FORMATS), f"svd-{ALLOCATED_FORMAT}")
# The allocated YCbCr format is also weighed against the equal-rank RGB one.
PAIRS = (
    *((test, anchor) for test in TESTS for anchor in ANCHORS),
    (f"svd-{ALLOCATED_FORMAT}", "svd-q8"),
)
METRICS = QUALITY_COLUMNS
SET = "set curve"  # the input of the figures on the set's mean curves
# Below this share of the two curves' joint PSNR range in common, a BD figure
# is an extrapolation more than a comparison: it is given with a note.
MIN_OVERLAP = 0.75
INTERPOLATION = "pchip"
COLUMNS = (
    "input", "test", "anchor", "metric", "bd_rate_percent", "bd_quality",
    "quality_low", "quality_high", "overlap", "images", "spread_low",
    "spread_high", "note",
)  # fmt: skip


def efficient_points(rows, metric="psnr"):
    """(bpp, quality) arrays of ``rows`` with a finite ``metric``, sorted by
    rate, each point above the quality of every cheaper one."""
    rows = rows[np.isfinite(rows[metric]) & (rows["bpp"] > 0)]
    best = rows.groupby("bpp")[metric].max().sort_index()  # one point per rate
    kept = best > best.cummax().shift(fill_value=-math.inf)
    return best.index[kept].to_numpy(float), best[kept].to_numpy(float)


def bd_figures(anchor, test):
    """BD-rate (%) and BD-quality of ``test`` against ``anchor`` and the
    quality overlap behind them, each curve given as (bpp, quality) arrays."""
    import bjontegaard

    if min(anchor[0].size, test[0].size) < 2:
        return {
            "bd_rate_percent": math.nan, "bd_quality": math.nan,
            "quality_low": math.nan, "quality_high": math.nan, "overlap": 0.0,
            "note": "a curve has fewer than two points of finite quality: no BD figure",
        }  # fmt: skip
    low = max(anchor[1].min(), test[1].min())
    high = min(anchor[1].max(), test[1].max())
    joint = max(anchor[1].max(), test[1].max()) - min(anchor[1].min(), test[1].min())
    overlap = max(high - low, 0.0) / joint if joint > 0 else 0.0
    row = {"quality_low": low, "quality_high": high, "overlap": overlap, "note": ""}
    if high <= low:
        return {
            **row,
            "bd_rate_percent": math.nan,
            "bd_quality": math.nan,
            "note": "the curves share no quality range: no BD figure",
        }
    options = {
        "method": INTERPOLATION, "require_matching_points": False, "min_overlap": 0,
    }  # fmt: skip
    with warnings.catch_warnings():  # the overlap is reported, not warned about
        warnings.simplefilter("ignore")
        rate = bjontegaard.bd_rate(*anchor, *test, **options)
        quality = bjontegaard.bd_psnr(*anchor, *test, **options)
    if overlap < MIN_OVERLAP:
        row["note"] = (
            f"the curves share {overlap:.0%} of their quality range "
            f"({low:.3g}-{high:.3g}): read with care"
        )
    return {**row, "bd_rate_percent": float(rate), "bd_quality": float(quality)}


def bd_table(table, curves=None):
    """Per image, SVD format, anchor and quality measure a row of BD
    figures, then their mean over the images (``input`` = ``mean``, with the
    spread and count of the images' figures), then the figures of the set's
    mean curves (``input`` = :data:`SET`), from rate-distortion rows (columns
    input, method, bpp, rank, quality and the measures). ``curves`` are
    :func:`set_curves` of ``table`` where the caller has them already."""
    metrics = [m for m in METRICS if m in table.columns]
    if table.empty or not metrics:  # a study of matrices alone has no codec rows
        return pd.DataFrame([], columns=list(COLUMNS))
    rows = [
        {"input": name, **row}
        for name, image in table.groupby("input", sort=True)
        for row in _pair_rows(image, metrics)
    ]
    result = pd.DataFrame(rows, columns=list(COLUMNS))
    means = result.groupby(["test", "anchor", "metric"], sort=False)[
        "bd_rate_percent"
    ].agg(["mean", "min", "max", "count"])
    means = means.reset_index().rename(columns={
        "mean": "bd_rate_percent", "min": "spread_low", "max": "spread_high",
        "count": "images",
    }).assign(input="mean", note="mean over the images with a BD figure")  # fmt: skip
    curves = set_curves(table) if curves is None else curves
    curves = [{"input": SET, **row} for row in _pair_rows(curves, metrics)]
    spread = means.set_index(["test", "anchor", "metric"])
    for row in curves:
        key = (row["test"], row["anchor"], row["metric"])
        if key in spread.index:
            row.update(spread.loc[key, ["images", "spread_low", "spread_high"]])
    return pd.concat(
        [result, means, pd.DataFrame(curves, columns=list(COLUMNS))],
        ignore_index=True,
    )[list(COLUMNS)]


def _pair_rows(image, metrics):
    by_method = dict(tuple(image.groupby("method")))
    for metric in metrics:
        for test, anchor in PAIRS:
            if test in by_method and anchor in by_method:
                yield {
                    "test": test, "anchor": anchor, "metric": metric,
                    **bd_figures(
                        efficient_points(by_method[anchor], metric),
                        efficient_points(by_method[test], metric),
                    ),
                }  # fmt: skip


def set_images(table):
    """The images of ``table`` that the set's mean curves average: those with
    a finite MS-SSIM somewhere (every measure is defined on them)."""
    if "ms_ssim" not in table.columns:
        return sorted(table["input"].unique())
    defined = table.groupby("input")["ms_ssim"].apply(lambda v: np.isfinite(v).any())
    return sorted(defined.index[defined])


def set_curves(table):
    """The set's mean rate-distortion curves: per codec and quality step, or
    SVD format and rank, the mean bits per pixel and quality measures over the
    images, at the steps every image has.

    Only images on which every measure is defined count (MS-SSIM needs 176
    pixels a side): a 10 x 10 picture, whose stream headers alone cost bits
    per pixel by the dozen, would otherwise set the mean curve's rates."""
    table = table[table["input"].isin(set_images(table))]
    images = table["input"].nunique()
    ranks = table.get("rank", pd.Series(np.nan, index=table.index))
    qualities = table.get("quality", pd.Series(np.nan, index=table.index))
    step = qualities.where(ranks.isna(), ranks)
    measures = ["bpp", *(m for m in METRICS if m in table.columns)]
    grouped = table.assign(step=step).groupby(["method", "step"])
    curves = grouped[measures].mean()[grouped.size() == images].reset_index()
    return curves.assign(input=SET)
