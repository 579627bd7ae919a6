"""The figures of one input: pictures with Pillow (:mod:`lowrank.report.pictures`),
line charts as SVG (:mod:`lowrank.report.charts`). :func:`input_figures` draws
all of them; the study's paper-gap figure is :mod:`lowrank.report.paper_figure`."""

import html
import math
from pathlib import Path

import numpy as np

from lowrank.decomposition.svd import svd_errors
from lowrank.methods import (
    CODED_SUFFIX,
    compared_methods,
    method_style,
    regime_of,
    svd_record,
)
from lowrank.records import read_record
from lowrank.report.charts import Panel, Series, write_chart
from lowrank.report.pictures import (
    approximation_panels,
    approximation_views,
    original_view,
)
from lowrank.training.regimes import INPUT_DISTRIBUTIONS, LOSS_SCALES

LABELLED_LEVELS = 10
# The rate-distortion methods; svd and the networks: lowrank.methods.method_style.
CODEC_STYLE = {
    "svd-f32": ("#000000", "."),
    "svd-f16": ("#7f7f7f", "."),
    "svd-q8": ("#2ca02c", "."),
    "jpeg": ("#ff7f0e", "."),
    "webp": ("#9467bd", "."),
    "avif": ("#8c564b", "."),
    "avif-444-psnr": ("#c49c94", "."),
    "jxl": ("#e377c2", "."),
    "svd-ycc": ("#17becf", "."),
    "klt": ("#d62728", "."),
    "svd-ec": ("#1f77b4", "."),
}
# A plugin's codec (lowrank.evaluation.codec_interface), which no table here names.
PLUGIN_STYLE = ("#bcbd22", ".")
# The spectrum's lines, one per channel.
CHANNEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")


def input_figures(item, decompositions, table, ranks, network_paths, folders):
    """Draw every figure of one input; return the paths written.

    Per rank, its approximation panels (``rank<k>.png``) and training curves
    (``rank<k>.svg``) go to ``folders["panels"]`` and ``folders["training"]``,
    and the viewer's pictures to ``folders["views"]`` (``original.png`` once,
    ``<method>-rank<k>.png`` per rank); error against rank goes to
    ``folders["errors"]`` (an SVG path). ``network_paths`` lists the network
    records rank by rank (:func:`lowrank.records.network_record_paths`); they
    are read a rank at a time, so only one rank's approximations are in
    memory. ``table`` holds the input's evaluation rows, whose metrics the
    panels print.
    """
    per_rank = len(network_paths) // len(ranks)
    paths = iter(network_paths)
    written = original_view(item, folders["views"])
    for rank in ranks:
        records = [svd_record(item, decompositions, rank)]
        records += [read_record(next(paths)) for _ in range(per_rank)]
        by_method = {record.method: record for record in records}
        measures = table[table["rank"] == rank].set_index("method")
        written += approximation_panels(
            item, by_method, measures, Path(folders["panels"], f"rank{rank}.png")
        )
        written += approximation_views(item, by_method, folders["views"])
        written += training_curves(
            by_method,
            decompositions,
            rank,
            Path(folders["training"], f"rank{rank}.svg"),
        )
    return written + error_versus_rank(table, decompositions, Path(folders["errors"]))


def method_colour_marker(method):
    """Colour (hex) and matplotlib marker code of any method in a figure."""
    if method in CODEC_STYLE:
        return CODEC_STYLE[method]
    if method.endswith(CODED_SUFFIX):  # a method's subspace, coded: its colour
        return method_colour_marker(method.removesuffix(CODED_SUFFIX))[0], "x"
    if method != "svd" and regime_of(method) is None:
        return PLUGIN_STYLE
    style = method_style(method)
    return style["colour"], style["marker"]


def singular_levels(decomposition, rank, scale, distribution=(0.0, 1.0)):
    """Loss of the best rank-j map for j = 1..rank, on a regime's loss
    ``scale`` (:data:`lowrank.training.regimes.LOSS_SCALES`).

    ``relative_frobenius`` (``exact``) is sum_{i>j} s_i^2 / ||A||_F^2. ``mse``
    (``paper``) is the MSE over training vectors, whose entries have
    ``distribution`` = (mean mu, variance var):
    E ||(A - B) x||^2 / m = ||(A - B) M^(1/2)||_F^2 / m with
    M = var I + mu^2 11^T, so its levels are the tail sums of the squared
    singular values of A M^(1/2) = U S V^T M^(1/2).
    """
    s = decomposition.s
    if scale == "mse":
        mean, variance = distribution
        n = decomposition.vt.shape[1]
        sigma = np.sqrt(variance)
        # M^(1/2) = sigma I + c 11^T, with (sigma + c n)^2 = var + mu^2 n.
        c = (np.sqrt(variance + mean**2 * n) - sigma) / n
        rows = s[:, None] * decomposition.vt
        s = np.linalg.svd(
            sigma * rows + c * rows.sum(axis=1, keepdims=True), compute_uv=False
        )
    tail = np.cumsum((s**2)[::-1])[::-1]
    levels = np.append(tail[1:], 0.0)[:rank]
    if scale == "relative_frobenius":
        return levels / tail[0] if tail[0] else levels
    return levels / decomposition.shape[0]


def training_curves(records, decompositions, rank, path):
    """Loss per step of each regime with the SVD's loss at every rank j <= k.

    Plateaus sit on these levels: the network learns one singular mode at a
    time (Saxe et al. 2014). Multi-channel inputs show their first channel.
    Writes the SVG ``path``; returns ``[path]``.
    """
    methods = [m for m in compared_methods() if m in records and m != "svd"]
    if not methods:
        return write_chart([Panel("no trained regime in this study", "", "")], path)
    return write_chart(
        [_training_panel(records[m], m, decompositions, rank) for m in methods], path
    )


def _training_panel(record, method, decompositions, rank):
    loss = record.loss[0]
    loss = loss[np.isfinite(loss)]
    steps = np.arange(1, loss.size + 1) * record.loss_every
    steps, loss = _thinned(steps, loss)
    regime = regime_of(method)
    distribution = INPUT_DISTRIBUTIONS.get(record.settings.get("inputs"), (0.0, 1.0))
    levels = singular_levels(decompositions[0], rank, regime.loss, distribution)
    drawn = [(j, level) for j, level in enumerate(levels, 1) if level > 0]
    # Labels for at most LABELLED_LEVELS of them; more would overlap.
    every = max(1, math.ceil(len(drawn) / LABELLED_LEVELS))
    colour, _ = method_colour_marker(method)
    return Panel(
        title=f"{method}, rank {rank}: dashed = best rank-j loss",
        xlabel=regime.step,
        ylabel=LOSS_SCALES[regime.loss],
        series=[Series(steps.tolist(), loss.tolist(), colour, f"{method} loss")],
        ylog=True,
        levels=[
            (level, f"j={j}" if index % every == 0 else "")
            for index, (j, level) in enumerate(drawn)
        ],
        note=(
            "" if record.status == "ok"
            else f"{record.status}: see the report's failures"
        ),
    )  # fmt: skip


# A long run logs more loss points than a chart is pixels wide.
CURVE_POINTS = 2000


def _thinned(steps, loss):
    """Every k-th point and the last, at most about :data:`CURVE_POINTS`:
    the plateaus stay, the SVG stays small."""
    if loss.size <= CURVE_POINTS:
        return steps, loss
    kept = np.append(np.arange(0, loss.size, math.ceil(loss.size / CURVE_POINTS)),
                     loss.size - 1)  # fmt: skip
    return steps[kept], loss[kept]


def error_versus_rank(table, decompositions, path):
    """Relative 2-norm and Frobenius errors against rank, and the spectrum.

    ``table`` holds the summary rows of one input member; the SVD is drawn at
    every rank from its singular values. Writes the SVG ``path``.
    """
    ranks = list(range(1, decompositions[0].s.size))
    svd_2, svd_fro = (
        zip(*(svd_errors(decompositions, k) for k in ranks)) if ranks else ((), ())
    )
    panels = [
        Panel(
            "",
            "rank k",
            name,
            [Series(ranks, list(svd), "#000000", "svd (every rank)")],
        )
        for name, svd in (
            ("relative 2-norm error", svd_2),
            ("relative Frobenius error", svd_fro),
        )
    ]
    for method, rows in table.groupby("method"):
        if method in compared_methods():
            colour, marker = method_colour_marker(method)
            for panel, column in zip(panels, ("rel_err_2", "rel_err_fro")):
                panel.series.append(
                    Series(rows["rank"].tolist(), rows[column].tolist(), colour,
                           method, marker, line=False)
                )  # fmt: skip
    spectrum = Panel("spectrum", "index i", "singular value s_i", ylog=True)
    for channel, decomposition in enumerate(decompositions):
        indices = list(range(1, decomposition.s.size + 1))
        colour = CHANNEL_COLOURS[channel % len(CHANNEL_COLOURS)]
        spectrum.series.append(
            Series(indices, decomposition.s.tolist(), colour, f"channel {channel}")
        )
    return write_chart([*panels, spectrum], path)


def rate_distortion(table, title, path):
    """PSNR against bits per pixel for the SVD factor formats and the codecs.
    Writes the SVG ``path``."""
    panel = Panel(title, "bits per pixel", "PSNR (dB)", xlog=True)
    for method, rows in table.groupby("method"):
        rows = rows.sort_values("bpp")
        finite = np.isfinite(rows["psnr"])
        colour, marker = method_colour_marker(method)
        panel.series.append(
            Series(rows["bpp"][finite].tolist(), rows["psnr"][finite].tolist(),
                   colour, method, marker)
        )  # fmt: skip
    return write_chart([panel], path)


def left_out_figure(path, reason):
    """In place of an input's figure: one line saying why it was left out
    (lowrank.inputs.cards)."""
    text = html.escape(f"left out: {reason}")
    Path(path).write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="40">'
        f'<text x="8" y="24" font-family="sans-serif" font-size="13">{text}</text>'
        "</svg>\n"
    )
