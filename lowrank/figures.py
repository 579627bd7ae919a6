"""The report's figures (matplotlib, Agg). Each drawing function writes
``<stem>.png`` (and ``<stem>.svg`` for the figures over a whole input or
study, :data:`PER_RANK_FORMATS`) and returns the paths;
:func:`input_figures` draws all of one input's."""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# Titles carry file names, which may hold "$": plain text, never mathtext.
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from lowrank.methods import (  # noqa: E402
    compared_methods,
    method_style,
    regime_of,
    svd_record,
)
from lowrank.records import read_record  # noqa: E402
from lowrank.regimes import INPUT_DISTRIBUTIONS, LOSS_SCALES  # noqa: E402
from lowrank.svd import svd_errors  # noqa: E402

LABELLED_LEVELS = 10
# The rate-distortion methods; svd and the networks: lowrank.methods.method_style.
CODEC_STYLE = {
    "svd-f32": {"color": "black"},
    "svd-f16": {"color": "tab:gray"},
    "svd-q8": {"color": "tab:green"},
    "jpeg": {"color": "tab:orange"},
    "webp": {"color": "tab:purple"},
    "avif": {"color": "tab:brown"},
}


def input_figures(item, decompositions, table, ranks, network_paths, folders):
    """Draw every figure of one input; return the paths written.

    Per rank, its approximation panels and training curves go to
    ``folders["panels"]`` and ``folders["training"]`` as ``rank<k>``, and the
    viewer's pictures to ``folders["views"]`` (:func:`original_view` once,
    :func:`approximation_views` per rank);
    error against rank goes to the stem ``folders["errors"]``. ``network_paths``
    lists the network records rank by rank
    (:func:`lowrank.records.network_record_paths`); they are read a rank at a
    time, so only one rank's approximations are in memory. ``table`` holds
    the input's evaluation rows, whose metrics the panels print.
    """
    per_rank = len(network_paths) // len(ranks)
    paths = iter(network_paths)
    written = original_view(item, folders["views"])
    for rank in ranks:
        records = [svd_record(item, decompositions, rank)]
        records += [read_record(next(paths)) for _ in range(per_rank)]
        by_method = {record.method: record for record in records}
        measures = table[table["rank"] == rank].set_index("method")
        stem = f"rank{rank}"
        written += approximation_panels(
            item, by_method, measures, Path(folders["panels"], stem)
        )
        written += approximation_views(item, by_method, folders["views"])
        written += training_curves(
            by_method, decompositions, rank, Path(folders["training"], stem)
        )
    return written + error_versus_rank(table, decompositions, folders["errors"])


def _style(method):
    if method in CODEC_STYLE:
        return CODEC_STYLE[method]
    style = method_style(method)
    return {"color": style["colour"], "marker": style["marker"]}


# Per-rank figures (panels, training curves) are looked at, in the report, as
# PNG; their SVG copies cost a quarter of an evaluation's time
# (bench/startup_costs_2026-12-02.md) and nobody read them. Figures over the
# whole study (error against rank, rate-distortion, the paper's gaps) keep an
# SVG copy for papers and slides.
PER_RANK_FORMATS = (".png",)


def plain_log_ticks(figure):
    """Tick labels of log and symlog axes as plain text ("0.01", "1e-05").

    Matplotlib labels them in mathtext ("$10^{-2}$"), which titles must not
    use (``text.parse_math`` is off for file names): the labels would show
    their markup.
    """
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            if axis.get_scale() in ("log", "symlog"):
                axis.set_major_formatter(matplotlib.ticker.LogFormatter())
                axis.set_minor_formatter(
                    matplotlib.ticker.LogFormatter(
                        labelOnlyBase=False, minor_thresholds=(2, 0.4)
                    )
                )


def save(figure, stem, formats=(".png", ".svg")):
    """Write ``stem`` in each of ``formats``; return the paths."""
    plain_log_ticks(figure)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(suffix) for suffix in formats]
    for path in paths:
        figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return paths


def _shown(stack, kind):
    """What imshow gets: an RGB image, a gray image, or a matrix."""
    if kind == "image":
        stack = np.clip(stack, 0.0, 1.0)
        return np.moveaxis(stack, 0, -1) if stack.shape[0] == 3 else stack[0]
    return stack[0]


def original_view(item, folder):
    """The original as the viewer's ``original.png`` (:func:`approximation_views`)."""
    return [_save_view(item, item.matrix, Path(folder) / "original.png")]


def approximation_views(item, records, folder):
    """Full-resolution PNGs for the report's viewer, pixel for pixel:
    ``<method>-rank<k>.png`` per record (and :func:`original_view`). Images
    keep their gray or RGB values; matrices are coloured on the original's
    scale, as in :func:`approximation_panels`. ``records`` maps method ->
    record.
    """
    return [
        _save_view(item, record.approximation,
                   Path(folder) / f"{method}-rank{record.rank}.png")
        for method, record in records.items()
    ]  # fmt: skip


def _save_view(item, stack, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    low, high = float(np.min(item.matrix)), float(np.max(item.matrix))
    Image.fromarray(_view_pixels(stack, item.kind, low, high)).save(path)
    return path


def _view_pixels(stack, kind, low, high):
    """8-bit pixels of a (c, m, n) stack; NaN (a diverged network) is black."""
    if kind == "image":
        shown = _shown(np.nan_to_num(stack), kind)
    else:
        span = (high - low) or 1.0
        shown = matplotlib.colormaps["viridis"](
            np.clip((np.nan_to_num(stack[0], nan=low) - low) / span, 0.0, 1.0)
        )[..., :3]
    return np.round(255 * np.clip(shown, 0.0, 1.0)).astype(np.uint8)


def approximation_panels(item, records, measures, stem):
    """Original | SVD | NN per regime, one colour scale, errors in the titles.

    ``records`` maps method -> :class:`lowrank.records.Record`; ``measures``
    is their evaluation rows (a DataFrame indexed by method).
    """
    methods = [m for m in compared_methods() if m in records]
    figure, axes = plt.subplots(
        1, 1 + len(methods), figsize=(3.2 * (1 + len(methods)), 3.6)
    )
    is_image = item.kind == "image"
    scale = {"vmin": 0.0, "vmax": 1.0} if is_image else {
        "vmin": float(item.matrix.min()), "vmax": float(item.matrix.max())
    }  # fmt: skip
    cmap = "gray" if is_image else "viridis"
    axes[0].imshow(_shown(item.matrix, item.kind), cmap=cmap, **scale)
    axes[0].set_title(
        f"original {item.input}\n{item.matrix.shape[1]}x{item.matrix.shape[2]}"
    )
    for axis, method in zip(axes[1:], methods):
        record = records[method]
        axis.imshow(_shown(record.approximation, item.kind), cmap=cmap, **scale)
        metrics = measures.loc[method]
        outcome = (
            f"2-norm {metrics['rel_err_2']:.4g}, Frob. {metrics['rel_err_fro']:.4g}"
            if record.status == "ok"
            else record.status
        )
        axis.set_title(f"{method}, rank {record.rank}\n{outcome}")
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    return save(figure, stem, PER_RANK_FORMATS)


def singular_levels(decomposition, rank, scale, distribution=(0.0, 1.0)):
    """Loss of the best rank-j map for j = 1..rank, on a regime's loss
    ``scale`` (:data:`lowrank.regimes.LOSS_SCALES`).

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


def training_curves(records, decompositions, rank, stem):
    """Loss per step of each regime with the SVD's loss at every rank j <= k.

    Plateaus sit on these levels: the network learns one singular mode at a
    time (Saxe et al. 2014). Multi-channel inputs show their first channel.
    """
    methods = [m for m in compared_methods() if m in records and m != "svd"]
    if not methods:
        figure, axis = plt.subplots(figsize=(5, 2))
        axis.text(0.5, 0.5, "no trained regime in this study", ha="center")
        axis.set_axis_off()
        return save(figure, stem, PER_RANK_FORMATS)
    figure, axes = plt.subplots(
        1, len(methods), figsize=(5.2 * len(methods), 3.8), squeeze=False
    )
    for axis, method in zip(axes[0], methods):
        loss = records[method].loss[0]
        loss = loss[np.isfinite(loss)]
        steps = np.arange(1, loss.size + 1) * records[method].loss_every
        axis.plot(steps, loss, color=_style(method)["color"], label=f"{method} loss")
        regime = regime_of(method)
        distribution = INPUT_DISTRIBUTIONS.get(
            records[method].settings.get("inputs"), (0.0, 1.0)
        )
        levels = singular_levels(decompositions[0], rank, regime.loss, distribution)
        right = steps[-1] if steps.size else records[method].steps
        drawn = [(j, level) for j, level in enumerate(levels, 1) if level > 0]
        if drawn:
            axis.hlines([level for _, level in drawn], 0, 1, color="gray", lw=0.6,
                        ls="--", transform=axis.get_yaxis_transform())  # fmt: skip
        # Labels for at most LABELLED_LEVELS of them: text layout is the
        # slowest part of the figure, and more labels would overlap anyway.
        for j, level in drawn[:: max(1, math.ceil(len(drawn) / LABELLED_LEVELS))]:
            axis.annotate(f"j={j}", (right, level), fontsize=6, color="gray")
        if records[method].status != "ok":
            note = f"{records[method].status}: see the report's failures"
            axis.text(0.02, 0.02, note, transform=axis.transAxes, fontsize=7,
                      color="tab:red")  # fmt: skip
        axis.set_yscale("log")
        axis.set_xlabel(regime.step)
        axis.set_ylabel(LOSS_SCALES[regime.loss])
        axis.set_title(f"{method}, rank {rank}: dashed = best rank-j loss")
    return save(figure, stem, PER_RANK_FORMATS)


def error_versus_rank(table, decompositions, stem):
    """Relative 2-norm and Frobenius errors against rank, and the spectrum.

    ``table`` holds the summary rows of one input member; the SVD is drawn at
    every rank from its singular values.
    """
    figure, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    ranks = np.arange(1, decompositions[0].s.size)
    svd_2, svd_fro = zip(*(svd_errors(decompositions, k) for k in ranks))
    axes[0].plot(ranks, svd_2, color="black", lw=1, label="svd (every rank)")
    axes[1].plot(ranks, svd_fro, color="black", lw=1, label="svd (every rank)")
    for method, rows in table.groupby("method"):
        if method in compared_methods():
            style = {**_style(method), "ls": "none"}
            axes[0].plot(rows["rank"], rows["rel_err_2"], label=method, **style)
            axes[1].plot(rows["rank"], rows["rel_err_fro"], label=method, **style)
    for axis, name in zip(
        axes[:2], ("relative 2-norm error", "relative Frobenius error")
    ):
        axis.set_xlabel("rank k")
        axis.set_ylabel(name)
        axis.legend()
    for channel, decomposition in enumerate(decompositions):
        axes[2].semilogy(
            np.arange(1, decomposition.s.size + 1),
            decomposition.s,
            label=f"channel {channel}",
        )
    axes[2].set_xlabel("index i")
    axes[2].set_ylabel("singular value s_i")
    axes[2].set_title("spectrum")
    return save(figure, stem)


def paper_gap(table, published, stem):
    """Mean |delta| per rank and set (bars: one standard deviation over the
    members), with the paper's per-rank values where it reports them.

    ``published`` is :func:`lowrank.paper.published_gaps`; a set is compared
    with the published experiment of its name.
    """
    sets = list(table["input"].unique()) or ["(no matrix sets)"]
    columns = min(3, len(sets))
    rows = -(-len(sets) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(5.5 * columns, 4 * rows), squeeze=False
    )
    for axis in axes.flat[len(sets) :]:
        axis.set_axis_off()
    for axis, name in zip(axes.flat, sets):
        rows = table[table["input"] == name]
        reported = published[published["experiment"] == name]
        if not reported.empty:
            axis.plot(reported["rank"], reported["value"], color="black",
                      marker="x", linestyle="--",
                      label=f"Bleckel ({reported['source'].iloc[0]})")  # fmt: skip
        for method, group in rows.groupby("method"):
            axis.errorbar(
                group["rank"],
                group["mean_abs_delta"],
                yerr=group["sd_abs_delta"],
                label=method,
                capsize=2,
                **_style(method),
            )
        axis.set_yscale("symlog", linthresh=1e-6)
        axis.set_xlabel("rank k")
        axis.set_ylabel("mean |NN - SVD| of the relative 2-norm error")
        axis.set_title(name)
        axis.legend(fontsize=7)
    return save(figure, stem)


def rate_distortion(table, title, stem):
    """PSNR against bits per pixel for SVD factor formats and JPEG."""
    figure, axis = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    for method, rows in table.groupby("method"):
        rows = rows.sort_values("bpp")
        finite = np.isfinite(rows["psnr"])
        axis.plot(
            rows["bpp"][finite],
            rows["psnr"][finite],
            marker=".",
            label=method,
            **_style(method),
        )
    axis.set_xscale("log")
    axis.set_xlabel("bits per pixel")
    axis.set_ylabel("PSNR (dB)")
    axis.set_title(title)
    axis.legend()
    axis.grid(alpha=0.3)
    return save(figure, stem)
