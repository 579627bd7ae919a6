"""Bjøntegaard-delta figures of the low-rank formats and codecs against the
anchors, per image and aggregated over a photo set with bootstrap intervals.

BD-rate is the average difference in bit rate, in percent, between two
rate-distortion curves over a quality interval (negative: the test needs
fewer bits than the anchor), for each quality measure in turn (PSNR-RGB,
PSNR-Y, SSIM, MS-SSIM, SSIMULACRA2). As codec papers do, SSIM and MS-SSIM
enter in decibels, -10 log10(1 - x) (metrics ``ssim_db`` and ``ms_ssim_db``).
The interval is one per image and measure, the same for every anchor so that
anchors compare: the configured one (``report.bd_quality_intervals``,
default :data:`QUALITY_INTERVALS`) clipped to the qualities every anchor
reaches on that image (:func:`common_interval`); a test that reaches only
part of it is weighed there and carries its share (``overlap``) and, under
:data:`MIN_OVERLAP`, a note. Log rates are interpolated over quality by
piecewise cubic Hermite interpolation (PCHIP), the interpolation of the
JCT-VC common-test-conditions sheet; over the curves' own overlap the result
is that of the maintained ``bjontegaard`` package
(https://github.com/FAU-LMS/bjontegaard), which reproduces the sheet.
BD-quality (the package's) is the average quality difference over the rates
two curves share, and ``bd_quality_in_range`` the same over one stated rate
range (``report.bd_quality_bpp``, default :data:`RATE_RANGE`).

Per-image figures (:func:`bd_table`) are aggregated (:func:`aggregate_table`)
over the images of at least :data:`MIN_SIDE` pixels a side on which every
measure is defined (:func:`set_images`: on a 10 x 10 picture a file's headers
alone cost dozens of bits per pixel): the geometric mean and the median of
the images' rate ratios with percentile bootstrap 95 % intervals, since a
mean of rate gaps of several hundred per cent is ruled by its worst image
unless it averages ratios. Every row names both encoders.

A curve is first reduced to its efficient points (each needs more bits and
gives a higher quality than the one before), since interpolation needs
quality to rise with the rate; exact reconstructions (infinite quality) are
left out.
"""

import math
import warnings

import numpy as np
import pandas as pd

from lowrank.evaluation.block_streams import BlockCodec
from lowrank.evaluation.codec_interface import plugin_codecs
from lowrank.evaluation.codecs import ANCHORS
from lowrank.evaluation.image_quality import QUALITY_COLUMNS
from lowrank.evaluation.svd_streams import (
    ALLOCATED_FORMAT,
    ENTROPY_CODED_FORMAT,
    SVD_FORMATS,
)
from lowrank.methods import CODED_SUFFIX

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


def anchor_names():
    """The anchors: built in (:data:`lowrank.evaluation.codecs.ANCHORS`),
    then the plugins' codecs of role ``anchor``."""
    plugins = plugin_codecs()
    return (*ANCHORS, *(c.name for c in plugins if c.role == "anchor"))


def comparison_pairs(methods=()):
    """(test, anchor) of every BD figure: each low-rank format or codec
    against each anchor, the codecs of plugins by their role, each anchor
    against each other (which is strongest, and the harness against
    published figures), then :data:`OWN_PAIRS`; of a block study's
    ``methods``, each subspace coded
    (:mod:`lowrank.evaluation.subspace_codecs`) against each anchor, and a
    network's against the SVD's."""
    plugins = plugin_codecs()
    coded = sorted(m for m in methods if m.endswith(CODED_SUFFIX))
    tests = (*TESTS, *(c.name for c in plugins if c.role == "low-rank"), *coded)
    anchors = anchor_names()
    networks = [(m, f"svd{CODED_SUFFIX}") for m in coded if m != f"svd{CODED_SUFFIX}"]
    return [
        *((test, anchor) for test in tests for anchor in anchors),
        *((test, anchor) for test in anchors for anchor in anchors if test != anchor),
        *OWN_PAIRS,
        *networks,
    ]


METRICS = QUALITY_COLUMNS
# Measures bounded by 1 whose BD figures are taken in decibels, and their
# names in the table.
DECIBEL_METRICS = {"ssim": "ssim_db", "ms_ssim": "ms_ssim_db"}
MIN_SIDE = 256  # default of report.aggregate_min_side
RATE_RANGE = (0.25, 1.0)  # bpp, default of report.bd_quality_bpp
# Default of report.bd_quality_intervals: the quality range, per measure on
# its BD scale, that every BD-rate of an image integrates over (clipped to
# what every anchor's curve reaches on that image).
QUALITY_INTERVALS = {
    "psnr": (30.0, 40.0), "psnr_y": (32.0, 45.0), "ssim_db": (10.0, 15.0),
    "ms_ssim_db": (14.0, 22.0), "ssimulacra2": (30.0, 85.0),
}  # fmt: skip
LADDER_POINTS = 24  # points of the SVD formats' set curves
# Below this share of the common quality interval covered by the test, a BD
# figure is an extrapolation more than a comparison: it gets a note.
MIN_OVERLAP = 0.75
INTERPOLATION = "pchip"
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20261207  # fixed, so that a rerun writes the same intervals
PER_IMAGE_COLUMNS = (
    "input", "test", "anchor", "metric", "bd_rate_percent", "quality_low",
    "quality_high", "overlap", "bd_quality", "bd_quality_in_range",
    "range_low_bpp", "range_high_bpp", "test_encoder", "anchor_encoder", "note",
)  # fmt: skip
AGGREGATE_COLUMNS = (
    "test", "anchor", "metric", "images", "geometric_mean_percent",
    "geometric_mean_low", "geometric_mean_high", "median_percent", "median_low",
    "median_high", "least_overlap", "aggregated", "test_encoder",
    "anchor_encoder", "note",
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


def common_interval(anchor_curves, configured):
    """The quality interval every BD-rate of one image and measure integrates
    over: ``configured`` (low, high) clipped to the qualities that every
    anchor's curve ((bpp, quality) arrays) reaches, so that no anchor is
    extrapolated and all compare; None where they share none."""
    curves = [c for c in anchor_curves if c[1].size >= 2]
    if not curves:
        return None
    low = max(configured[0], *(c[1].min() for c in curves))
    high = min(configured[1], *(c[1].max() for c in curves))
    return (float(low), float(high)) if high > low else None


def bd_rate_over(anchor, test, interval):
    """BD-rate (%) of ``test`` against ``anchor`` ((bpp, quality) arrays of
    :func:`efficient_points`) over the quality ``interval``: the mean
    difference of their log rates there, each curve's log rate interpolated
    over quality by PCHIP, as the JCT-VC sheet and the ``bjontegaard``
    package do over the curves' own overlap (the two agree to rounding there:
    tests/test_bdrate.py)."""
    from scipy.interpolate import PchipInterpolator

    low, high = interval

    def mean_log_rate(curve):
        spline = PchipInterpolator(curve[1], np.log10(curve[0]))
        return spline.integrate(low, high) / (high - low)

    return 100.0 * (10.0 ** (mean_log_rate(test) - mean_log_rate(anchor)) - 1.0)


def bd_figures(anchor, test, interval):
    """BD-rate over the part of the common ``interval`` (None: the anchors
    share none) that ``test`` reaches, the share of it reached
    (``overlap``), and BD-quality over the rates both curves share."""
    import bjontegaard

    empty = {
        "bd_rate_percent": math.nan, "bd_quality": math.nan,
        "quality_low": math.nan, "quality_high": math.nan, "overlap": 0.0,
    }  # fmt: skip
    if min(anchor[0].size, test[0].size) < 2:
        note = "a curve has fewer than two points of finite quality: no BD figure"
        return {**empty, "note": note}
    if interval is None:
        note = "the anchors share no quality within the configured interval"
        return {**empty, "note": note}
    low, high = max(interval[0], test[1].min()), min(interval[1], test[1].max())
    if high <= low:
        return {**empty, "note": "the test does not reach the common quality interval"}
    overlap = (high - low) / (interval[1] - interval[0])
    with warnings.catch_warnings():  # the overlap is reported, not warned about
        warnings.simplefilter("ignore")
        quality = bjontegaard.bd_psnr(
            *anchor, *test, method=INTERPOLATION, require_matching_points=False,
            min_overlap=0,
        )  # fmt: skip
    note = ""
    if overlap < MIN_OVERLAP:
        note = (
            f"the test covers {overlap:.0%} of the common quality interval "
            f"({interval[0]:.3g}-{interval[1]:.3g}): read with care"
        )
    return {
        "bd_rate_percent": float(bd_rate_over(anchor, test, (low, high))),
        "bd_quality": float(quality), "quality_low": float(low),
        "quality_high": float(high), "overlap": float(overlap), "note": note,
    }  # fmt: skip


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


def bd_table(table, intervals=None, rate_range=RATE_RANGE):
    """Per image, pair of :func:`comparison_pairs` and quality measure a row
    of BD figures (:data:`PER_IMAGE_COLUMNS`), from rate-distortion rows
    (columns input, method, bpp, encoder and the measures): every BD-rate of
    one image and measure over one interval, ``intervals`` (measure -> (low,
    high) on its BD scale, default :data:`QUALITY_INTERVALS`) clipped to
    what every anchor reaches (:func:`common_interval`); ``rate_range`` (bpp)
    bounds :func:`bd_quality_in_range`. Each row names both encoders."""
    intervals = {**QUALITY_INTERVALS, **(intervals or {})}
    metrics = [m for m in METRICS if m in table.columns]
    if table.empty or not metrics:  # a study of matrices alone has no codec rows
        return pd.DataFrame([], columns=list(PER_IMAGE_COLUMNS))
    rows = [
        {"input": name, **row}
        for name, image in table.groupby("input", sort=True)
        for row in _pair_rows(image, metrics, intervals, rate_range)
    ]
    return pd.DataFrame(rows, columns=list(PER_IMAGE_COLUMNS))


def _pair_rows(image, metrics, intervals, rate_range):
    by_method = dict(tuple(image.groupby("method")))
    encoders = {
        method: "; ".join(sorted(set(rows["encoder"].dropna().astype(str))))
        for method, rows in by_method.items()
    } if "encoder" in image else {}  # fmt: skip
    pairs = comparison_pairs(by_method)
    anchors = set(anchor_names()) & set(by_method)
    for metric in metrics:
        name = DECIBEL_METRICS.get(metric, metric)
        curves = {m: efficient_points(by_method[m], metric) for m in by_method}
        common = common_interval([curves[a] for a in sorted(anchors)], intervals[name])
        for test, anchor in pairs:
            if test in by_method and anchor in by_method:
                # The study's own pairs (svd-ycc against svd-q8...) are
                # weighed where both reach, as no anchor bounds them.
                interval = common if anchor in anchors else common_interval(
                    [curves[anchor]], intervals[name]
                )  # fmt: skip
                yield {
                    "test": test, "anchor": anchor, "metric": name,
                    **bd_figures(curves[anchor], curves[test], interval),
                    **bd_quality_in_range(curves[anchor], curves[test], rate_range),
                    "test_encoder": encoders.get(test, ""),
                    "anchor_encoder": encoders.get(anchor, ""),
                }  # fmt: skip


def aggregate_table(per_image, members, resamples=BOOTSTRAP_RESAMPLES):
    """Per (test, anchor, measure) the geometric mean and the median of the
    images' rate ratios 1 + BD-rate / 100 over ``members`` (the images of
    :func:`set_images`), as BD-rates, each with a percentile bootstrap 95 %
    interval (``resamples`` draws of the images with replacement, the same
    draws for every row), the least overlap of its images and a note that
    keeps the per-image warnings: :data:`AGGREGATE_COLUMNS`."""
    rows = per_image[per_image["input"].isin(members)]
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = {}
    result = []
    for (test, anchor, metric), group in rows.groupby(
        ["test", "anchor", "metric"], sort=False
    ):
        figured = group.dropna(subset=["bd_rate_percent"])
        logs = np.log1p(figured["bd_rate_percent"].to_numpy(float) / 100.0)
        row = {
            "test": test, "anchor": anchor, "metric": metric, "images": len(logs),
            "least_overlap": float(group["overlap"].min()),
            "aggregated": ", ".join(sorted(figured["input"])),
            "test_encoder": _joined(group["test_encoder"]),
            "anchor_encoder": _joined(group["anchor_encoder"]),
            "note": _aggregate_note(group, figured),
        }  # fmt: skip
        if len(logs):
            if len(logs) not in draws:
                draws[len(logs)] = rng.integers(0, len(logs), (resamples, len(logs)))
            sampled = logs[draws[len(logs)]]
            row.update(
                _percent("geometric_mean", logs.mean(), sampled.mean(axis=1)),
                **_percent("median", np.median(logs), np.median(sampled, axis=1)),
            )
        result.append(row)
    return pd.DataFrame(result, columns=list(AGGREGATE_COLUMNS))


def _percent(name, log_ratio, sampled_logs):
    low, high = np.percentile(sampled_logs, [2.5, 97.5])
    return {
        f"{name}_percent": 100.0 * math.expm1(log_ratio),
        f"{name}_low": 100.0 * math.expm1(low),
        f"{name}_high": 100.0 * math.expm1(high),
    }


def _joined(values):
    return "; ".join(sorted({v for v in values.dropna().astype(str) if v}))


def _aggregate_note(group, figured):
    """The per-image warnings an aggregate row keeps: images with little of
    the common interval covered, and images without a figure."""
    notes = []
    low = group[group["overlap"] < MIN_OVERLAP]
    if len(low):
        names = ", ".join(
            f"{row.input} ({row.overlap:.0%})" for row in low.itertuples()
        )
        notes.append(
            f"under {MIN_OVERLAP:.0%} of the common quality interval covered on "
            f"{names}: read with care"
        )
    if missing := sorted(set(group["input"]) - set(figured["input"])):
        notes.append(f"no figure on {', '.join(missing)}")
    return "; ".join(notes)


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
    the count, ``encoder`` each method's encoders."""
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
    encoders = {}
    if "encoder" in table:
        encoders = table.groupby("method")["encoder"].agg(_joined).to_dict()
    curves["images"] = len(images)
    curves["encoder"] = [encoders.get(m, "") for m in curves.get("method", [])]
    return curves


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
