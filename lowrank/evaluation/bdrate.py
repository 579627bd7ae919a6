"""Bjøntegaard-delta figures of the SVD factor formats against image codecs.

BD-rate is the average difference in bit rate, in percent, between two
rate-distortion curves over the quality range where both have points
(negative: the test needs fewer bits than the anchor), for each quality
measure in turn (PSNR-RGB, PSNR-Y, SSIM, MS-SSIM, SSIMULACRA2); BD-quality
the average difference of the measure over their common rate range, and
beside it over a stated rate range (``report.bd_quality_bpp``, default
:data:`RATE_RANGE`), the same for every pair so that rows compare. As
codec papers do, SSIM and MS-SSIM enter in decibels, -10 log10(1 - x)
(metrics ``ssim_db`` and ``ms_ssim_db``), so both BD figures of every measure
but SSIMULACRA2 are over a logarithmic quality scale.

Figures are given per image; their aggregates (the geometric mean of the
images' rate ratios and the set's mean curves, :func:`set_curves`) take only
the images of at least :data:`MIN_SIDE` pixels a side on which every measure
is defined (:func:`set_images`): on a 10 x 10 picture a file's headers alone
cost dozens of bits per pixel, and a mean over rate gaps of several hundred
per cent is ruled by its worst image unless it averages ratios.

Both come from the maintained ``bjontegaard`` package with piecewise cubic
Hermite interpolation (PCHIP), the interpolation of the JCT-VC
common-test-conditions Excel sheet, which the package reproduces to at least
10 decimals (its README, https://github.com/FAU-LMS/bjontegaard). A curve is
first reduced to its efficient points (each needs more bits and gives a
higher quality than the one before), since interpolation needs quality to
rise with the rate, and exact reconstructions (infinite quality) are left
out.
"""

import math
import warnings

import numpy as np
import pandas as pd

from lowrank.evaluation.block_streams import BlockCodec
from lowrank.evaluation.codec_interface import plugin_codecs
from lowrank.evaluation.codecs import IMAGE_CODECS
from lowrank.evaluation.image_quality import QUALITY_COLUMNS
from lowrank.evaluation.svd_streams import (
    ALLOCATED_FORMAT,
    ENTROPY_CODED_FORMAT,
    SVD_FORMATS,
)
from lowrank.methods import CODED_SUFFIX

ANCHORS = tuple(IMAGE_CODECS)
TESTS = (
    *(f"svd-{fmt}" for fmt in SVD_FORMATS), f"svd-{ALLOCATED_FORMAT}",
    f"svd-{ENTROPY_CODED_FORMAT}", BlockCodec.name,
)  # fmt: skip
# The allocated YCbCr format is also weighed against the equal-rank RGB one;
# its entropy-coded twin against it (what entropy coding gains), and the
# block codec against the twin (what blocks gain beyond entropy coding).
OWN_PAIRS = (
    (f"svd-{ALLOCATED_FORMAT}", "svd-q8"),
    (f"svd-{ENTROPY_CODED_FORMAT}", f"svd-{ALLOCATED_FORMAT}"),
    (BlockCodec.name, f"svd-{ENTROPY_CODED_FORMAT}"),
)


def comparison_pairs(methods=()):
    """(test, anchor) of every BD figure: each low-rank format or codec
    against each anchor, the codecs of plugins by their role, then
    :data:`OWN_PAIRS`; of a block study's ``methods``, each subspace coded
    (:mod:`lowrank.evaluation.subspace_codecs`) against each anchor, and a
    network's against the SVD's."""
    plugins = plugin_codecs()
    coded = sorted(m for m in methods if m.endswith(CODED_SUFFIX))
    tests = (*TESTS, *(c.name for c in plugins if c.role == "low-rank"), *coded)
    anchors = (*ANCHORS, *(c.name for c in plugins if c.role == "anchor"))
    networks = [(m, f"svd{CODED_SUFFIX}") for m in coded if m != f"svd{CODED_SUFFIX}"]
    return [
        *((test, anchor) for test in tests for anchor in anchors),
        *OWN_PAIRS,
        *networks,
    ]


METRICS = QUALITY_COLUMNS
# Measures bounded by 1 whose BD figures are taken in decibels, and their
# names in the table.
DECIBEL_METRICS = {"ssim": "ssim_db", "ms_ssim": "ms_ssim_db"}
SET = "set curve"  # the input of the figures on the set's mean curves
MEAN = "geometric mean"  # the input of the images' aggregated figures
MIN_SIDE = 256  # default of report.aggregate_min_side
RATE_RANGE = (0.25, 1.0)  # bpp, default of report.bd_quality_bpp
LADDER_POINTS = 24  # points of the SVD formats' set curves
# Below this share of the anchor's quality range in common with the test, a
# BD figure is an extrapolation more than a comparison: it gets a note.
MIN_OVERLAP = 0.75
INTERPOLATION = "pchip"
COLUMNS = (
    "input", "test", "anchor", "metric", "bd_rate_percent", "bd_quality",
    "bd_quality_in_range", "range_low_bpp", "range_high_bpp",
    "quality_low", "quality_high", "overlap", "images", "spread_low",
    "spread_high", "aggregated", "note",
)  # fmt: skip


def bd_scale(metric, values):
    """``values`` of ``metric`` on the scale BD figures use: decibels of
    1 - x for :data:`DECIBEL_METRICS`, else as they are."""
    values = np.asarray(values, dtype=float)
    if metric not in DECIBEL_METRICS:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return -10.0 * np.log10(1.0 - values)


def efficient_points(rows, metric="psnr"):
    """(bpp, quality) arrays of ``rows`` with a finite ``metric`` (on the
    :func:`bd_scale`), sorted by rate, each point above the quality of every
    cheaper one."""
    rows = rows.assign(quality_bd=bd_scale(metric, rows[metric]))
    rows = rows[np.isfinite(rows["quality_bd"]) & (rows["bpp"] > 0)]
    best = rows.groupby("bpp")["quality_bd"].max().sort_index()  # one per rate
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
    span = anchor[1].max() - anchor[1].min()
    overlap = min(max(high - low, 0.0) / span, 1.0) if span > 0 else 0.0
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
            f"the test covers {overlap:.0%} of the anchor's quality range "
            f"({low:.3g}-{high:.3g}): read with care"
        )
    return {**row, "bd_rate_percent": float(rate), "bd_quality": float(quality)}


def bd_quality_in_range(anchor, test, rate_range=RATE_RANGE):
    """The mean quality difference of ``test`` over ``anchor`` (curves as
    (bpp, quality) arrays of :func:`efficient_points`) over the log rate
    within ``rate_range`` (bpp) that both curves span, each curve
    interpolated by PCHIP in log10 of the rate as for BD-quality, with the
    bounds used: narrower than ``rate_range`` where a curve ends inside it."""
    from scipy.interpolate import PchipInterpolator

    low = max(
        rate_range[0], anchor[0].min(initial=math.inf), test[0].min(initial=math.inf)
    )
    high = min(rate_range[1], anchor[0].max(initial=0.0), test[0].max(initial=0.0))
    if min(anchor[0].size, test[0].size) < 2 or high <= low:
        return {
            "bd_quality_in_range": math.nan,
            "range_low_bpp": math.nan,
            "range_high_bpp": math.nan,
        }
    bounds = math.log10(low), math.log10(high)

    def mean_quality(curve):
        spline = PchipInterpolator(np.log10(curve[0]), curve[1])
        return spline.integrate(*bounds) / (bounds[1] - bounds[0])

    return {
        "bd_quality_in_range": float(mean_quality(test) - mean_quality(anchor)),
        "range_low_bpp": float(low),
        "range_high_bpp": float(high),
    }


def bd_table(table, curves=None, min_side=MIN_SIDE, rate_range=RATE_RANGE):
    """Per image, SVD format, anchor and quality measure a row of BD
    figures, then their aggregates over the images of :func:`set_images`:
    the geometric mean of the rate ratios (``input`` = :data:`MEAN`, with the
    spread, count and names of the images) and the figures of the set's mean
    curves (``input`` = :data:`SET`), from rate-distortion rows (columns
    input, method, bpp, rank, quality, rows, cols and the measures).
    ``curves`` are :func:`set_curves` of ``table`` where the caller has them
    already; ``rate_range`` (bpp) bounds :func:`bd_quality_in_range`, which
    the geometric-mean rows leave empty (the set-curve rows carry it)."""
    metrics = [m for m in METRICS if m in table.columns]
    if table.empty or not metrics:  # a study of matrices alone has no codec rows
        return pd.DataFrame([], columns=list(COLUMNS))
    rows = [
        {"input": name, **row}
        for name, image in table.groupby("input", sort=True)
        for row in _pair_rows(image, metrics, rate_range)
    ]
    result = pd.DataFrame(rows, columns=list(COLUMNS))
    members = set_images(table, min_side)
    means = _geometric_means(result[result["input"].isin(members)], min_side)
    curves = set_curves(table, min_side) if curves is None else curves
    curves = pd.DataFrame(
        [{"input": SET, **row} for row in _pair_rows(curves, metrics, rate_range)],
        columns=list(COLUMNS),
    ).assign(
        images=len(members),
        aggregated=", ".join(members),
        note=lambda rows: rows["note"].fillna(""),
    )
    spread = means.set_index(["test", "anchor", "metric"])
    keys = list(zip(curves["test"], curves["anchor"], curves["metric"]))
    for column in ("spread_low", "spread_high"):
        curves[column] = [spread[column].get(key, math.nan) for key in keys]
    return pd.concat([result, means, curves], ignore_index=True)[list(COLUMNS)]


def _geometric_means(rows, min_side):
    """Per (test, anchor, metric) the geometric mean of the images' rate
    ratios 1 + BD-rate / 100, as a BD-rate, with their spread, their least
    overlap and their names."""
    rows = rows.dropna(subset=["bd_rate_percent"])
    logs = np.log1p(rows["bd_rate_percent"] / 100.0)
    grouped = rows.assign(log_ratio=logs).groupby(
        ["test", "anchor", "metric"], sort=False
    )
    means = grouped.agg(
        log_ratio=("log_ratio", "mean"),
        spread_low=("bd_rate_percent", "min"),
        spread_high=("bd_rate_percent", "max"),
        overlap=("overlap", "min"),
        images=("input", "count"),
        aggregated=("input", lambda names: ", ".join(sorted(names))),
    ).reset_index()
    means["bd_rate_percent"] = 100.0 * np.expm1(means.pop("log_ratio"))
    means["note"] = (
        "geometric mean of the images' rate ratios; images of at least "
        f"{min_side} pixels a side"
    )
    return means.assign(input=MEAN).reindex(columns=list(COLUMNS))


def _pair_rows(image, metrics, rate_range):
    by_method = dict(tuple(image.groupby("method")))
    for metric in metrics:
        for test, anchor in comparison_pairs(by_method):
            if test in by_method and anchor in by_method:
                curves = (
                    efficient_points(by_method[anchor], metric),
                    efficient_points(by_method[test], metric),
                )
                yield {
                    "test": test, "anchor": anchor,
                    "metric": DECIBEL_METRICS.get(metric, metric),
                    **bd_figures(*curves),
                    **bd_quality_in_range(*curves, rate_range),
                }  # fmt: skip


def set_images(table, min_side=MIN_SIDE):
    """The images of ``table`` that the aggregates take: at least
    ``min_side`` pixels a side, with every measure defined (a finite
    MS-SSIM somewhere, which needs 176 pixels a side)."""
    sides = table.groupby("input")[["rows", "cols"]].min().min(axis=1)
    large = set(sides.index[sides >= min_side])
    if "ms_ssim" in table.columns:
        finite = table.groupby("input")["ms_ssim"].apply(lambda v: np.isfinite(v).any())
        large &= set(finite.index[finite])
    return sorted(large)


def set_curves(table, min_side=MIN_SIDE):
    """The set's mean rate-distortion curves over :func:`set_images`: per
    codec and quality step the mean bits per pixel and measures over the
    images, at the steps every image has; per SVD format the same at
    :data:`LADDER_POINTS` rank fractions k / min(m, n) that every image's
    ladder spans, each image's log rate and measures interpolated there
    (linearly in the log of the fraction), since its ranks depend on its
    size. Column ``step`` holds the quality or the rank fraction, ``images``
    the count."""
    images = set_images(table, min_side)
    table = table[table["input"].isin(images)]
    measures = ["bpp", *(m for m in METRICS if m in table.columns)]
    codecs = table[table["rank"].isna()] if "rank" in table else table
    grouped = codecs.assign(step=codecs["quality"]).groupby(["method", "step"])
    rows = [grouped[measures].mean()[grouped.size() == len(images)].reset_index()]
    ranked = table[table["rank"].notna()] if "rank" in table else table.iloc[:0]
    for method, points in ranked.groupby("method"):
        if points["input"].nunique() == len(images):
            rows.append(_ladder_mean(method, points, measures))
    curves = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return curves.assign(input=SET, images=len(images))


def _ladder_mean(method, points, measures):
    """One SVD format's mean curve over the images at common rank fractions."""
    fractions = {
        name: (image["rank"] / image[["rows", "cols"]].min(axis=1)).to_numpy()
        for name, image in points.groupby("input")
    }
    low = max(f.min() for f in fractions.values())
    high = min(f.max() for f in fractions.values())
    grid = np.geomspace(low, high, LADDER_POINTS) if high > low else np.array([low])
    per_image = []
    for name, image in points.groupby("input"):
        order = np.argsort(fractions[name])
        where = np.log(fractions[name][order])
        values = {
            measure: np.interp(
                np.log(grid), where, image[measure].to_numpy(float)[order]
            )
            for measure in measures
            if measure != "bpp"  # interpolated in its log below
        }
        values["bpp"] = np.exp(
            np.interp(np.log(grid), where, np.log(image["bpp"].to_numpy(float)[order]))
        )
        per_image.append(pd.DataFrame(values))
    mean = sum(per_image) / len(per_image)
    return mean.assign(method=method, step=grid)
