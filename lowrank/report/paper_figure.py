"""The paper-gap figure (matplotlib, Agg): one per study, with error bars and
a symlog axis, so the once-a-study cost of matplotlib buys its layout. The
per-input figures are :mod:`lowrank.report.charts` and
:mod:`lowrank.report.pictures`."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# Titles carry file names, which may hold "$": plain text, never mathtext.
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from lowrank.report.figures import method_colour_marker  # noqa: E402


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


def paper_gap(table, published, stem):
    """Mean |delta| per rank and set (bars: one standard deviation over the
    members), with the paper's per-rank values where it reports them.

    ``published`` is :func:`lowrank.report.paper.published_gaps`; a set is compared
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
            colour, marker = method_colour_marker(method)
            axis.errorbar(
                group["rank"],
                group["mean_abs_delta"],
                yerr=group["sd_abs_delta"],
                label=method,
                capsize=2,
                color=colour,
                marker=marker,
            )
        axis.set_yscale("symlog", linthresh=1e-6)
        axis.set_xlabel("rank k")
        axis.set_ylabel("mean |NN - SVD| of the relative 2-norm error")
        axis.set_title(name)
        axis.legend(fontsize=7)
    return save(figure, stem)
