"""The data of an input's viewer on the report page: a rank slider over its
pictures and their errors, a flip view, and a small error curve whose marker
follows the slider (the page's script, ``templates/viewer.js``, reads it)."""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lowrank.methods import compared_methods, method_style

CURVE_WIDTH, CURVE_HEIGHT, CURVE_MARGIN = 360, 150, 30
LOWEST_ERROR = 1e-17  # below float64 rounding: the curve's floor


@dataclass(frozen=True)
class ErrorCurve:
    """Each method's 2-norm error (log scale) at the studied ranks, as SVG
    coordinates: ``lines`` are (method, colour, [(x, y), ...]), ``ticks``
    (x, rank), ``marker`` the x of every rank for the slider."""

    lines: list
    ticks: list
    marker: list
    width: int = CURVE_WIDTH
    height: int = CURVE_HEIGHT


def viewer_data(section, link):
    """What the viewer of ``section`` (:class:`lowrank.report.page.InputSection`)
    shows at each rank, with figure paths made relative by ``link``."""
    table = section.evaluation
    ranks = [rank for rank, _, _ in section.ranks]
    methods = [m for m in compared_methods() if m in set(table["method"])]
    rows = table.set_index(["method", "rank"])
    views = Path(section.views)
    curve = error_curve(rows, methods, ranks)
    return {
        "ranks": ranks,
        "methods": methods,
        "original": link(views / "original.png"),
        "images": {
            m: [link(views / f"{m}-rank{rank}.png") for rank in ranks] for m in methods
        },
        "captions": {
            m: [view_caption(rows.loc[(m, rank)], m, rank) for rank in ranks]
            for m in methods
        },
        "training": [link(training) for _, _, training in section.ranks],
        "marker": curve.marker,
    }, curve


def view_caption(row, method, rank):
    if not np.isfinite(row["rel_err_2"]):
        return f"{method}, rank {rank}: {row['status']}"
    text = (
        f"{method}, rank {rank}: 2-norm {row['rel_err_2']:.4g}, "
        f"Frob. {row['rel_err_fro']:.4g}"
    )
    if np.isfinite(row.get("psnr", math.nan)):
        text += f", PSNR {row['psnr']:.1f} dB"
    return text if row["status"] == "ok" else f"{text} ({row['status']})"


def error_curve(rows, methods, ranks):
    """The :class:`ErrorCurve` of ``rows`` (indexed by method and rank)."""
    low, high = min(ranks), max(ranks)
    width = CURVE_WIDTH - 2 * CURVE_MARGIN

    def x(rank):
        share = (rank - low) / (high - low) if high > low else 0.5
        return round(CURVE_MARGIN + width * share, 1)

    errors = {m: [float(rows.loc[(m, r), "rel_err_2"]) for r in ranks] for m in methods}
    finite = [e for values in errors.values() for e in values if np.isfinite(e)]
    logs = np.log10(np.clip(finite or [1.0], LOWEST_ERROR, None))
    bottom, top = float(logs.min()) - 0.1, float(logs.max()) + 0.1

    def y(error):
        level = math.log10(min(max(error, LOWEST_ERROR), 1e300))
        height = CURVE_HEIGHT - 1.5 * CURVE_MARGIN
        return round(CURVE_MARGIN / 2 + height * (top - level) / (top - bottom), 1)

    lines = [
        (
            method,
            method_style(method)["colour"],
            [(x(r), y(e)) for r, e in zip(ranks, errors[method]) if np.isfinite(e)],
        )
        for method in methods
    ]
    return ErrorCurve(lines, [(x(r), r) for r in ranks], [x(r) for r in ranks])
