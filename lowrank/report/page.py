"""The study's HTML report: ``index.html`` that opens from disk, no server.

Figures are linked by paths relative to the page, so the page and
``results/figures`` move together.
"""

import html
import json
import math
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lowrank.methods import compared_methods, is_network, method_style

OVERVIEW_COLUMNS = [
    "input", "member", "rank", "method", "status", "rel_err_2", "delta_rel_err_2",
    "rel_err_fro", "psnr", "ssim", "compression_ratio", "train_seconds", "steps",
]  # fmt: skip

# Above this PSNR a reconstruction is indistinguishable from the original for
# 8-bit display, so format losses there are not reported.
VISIBLE_PSNR = 60.0

STYLE = """
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
table { border-collapse: collapse; font-size: 0.8em; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
nav a { margin-right: 1em; }
.views { display: flex; flex-wrap: wrap; gap: 0.5em; }
.views figure, .flip { margin: 0; }
.views img { width: 256px; image-rendering: pixelated; }
.flip img { min-width: 256px; image-rendering: pixelated; cursor: pointer; }
figcaption { font-size: 0.8em; max-width: 256px; }
.viewer:focus { outline: 1px dotted #888; }
img.thumbnail { width: 48px; height: 48px; object-fit: cover; margin: 0;
  image-rendering: pixelated; }
"""

# The viewer of each input (rank slider, errors, flip); static, no network.
VIEWER_SCRIPT = """
for (const viewer of document.querySelectorAll(".viewer")) {
  const data = JSON.parse(viewer.querySelector("script").textContent);
  const slider = viewer.querySelector("input[type=range]");
  const flip = viewer.querySelector(".flip img");
  const flipCaption = viewer.querySelector(".flip figcaption");
  let compared = data.methods[data.methods.length - 1];
  let showingOriginal = true;
  const showFlip = () => {
    const index = +slider.value;
    flip.src = showingOriginal ? data.original : data.images[compared][index];
    flipCaption.textContent = showingOriginal
      ? "original (click or press F to flip)"
      : data.captions[compared][index];
  };
  const show = () => {
    const index = +slider.value;
    viewer.querySelector("output").textContent = data.ranks[index];
    for (const method of data.methods) {
      const figure = viewer.querySelector(`figure[data-method="${method}"]`);
      figure.querySelector("img").src = data.images[method][index];
      figure.querySelector("figcaption").textContent = data.captions[method][index];
    }
    viewer.querySelector("img.training").src = data.training[index];
    const marker = viewer.querySelector(".marker");
    marker.setAttribute("x1", data.marker[index]);
    marker.setAttribute("x2", data.marker[index]);
    showFlip();
  };
  const toggle = () => { showingOriginal = !showingOriginal; showFlip(); };
  slider.addEventListener("input", show);
  flip.addEventListener("click", toggle);
  viewer.addEventListener("keydown", (event) => {
    if (event.key === "f" || event.key === "F") toggle();
  });
  for (const button of viewer.querySelectorAll("button[data-method]")) {
    button.addEventListener("click", () => {
      compared = button.dataset.method;
      showingOriginal = false;
      showFlip();
    });
  }
}
"""
CURVE_WIDTH, CURVE_HEIGHT, CURVE_MARGIN = 360, 150, 30


@dataclass
class InputSection:
    """Figures of one input (one member of a set)."""

    name: str
    kind: str
    shape: tuple
    errors_figure: Path
    rate_distortion_figure: Path | None = None
    rate_distortion_text: str = ""
    ranks: list = field(default_factory=list)  # (rank, panels, training) paths
    views: Path | None = None  # full-resolution pictures (figures.approximation_views)
    evaluation: object = None  # the input's evaluation rows (a DataFrame)


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
        f"float16 factors lose at most {_psnr_loss(table, 'svd-f16'):.2g} dB and "
        f"8-bit factors at most {_psnr_loss(table, 'svd-q8'):.2g} dB, for half and "
        "about a quarter of the bits."
    )
    return " ".join(sentences)


def _psnr_loss(table, method, reference="svd-f32"):
    """Largest PSNR drop of ``method`` against ``reference`` at equal rank,
    over the ranks where the reference is below :data:`VISIBLE_PSNR`."""
    pivot = table[table["method"].isin([method, reference])].pivot_table(
        index="rank", columns="method", values="psnr"
    )
    if not {method, reference} <= set(pivot.columns):
        return math.nan
    visible = pivot[pivot[reference] < VISIBLE_PSNR].dropna()
    return float((visible[reference] - visible[method]).max())


def write_index(
    path,
    summary,
    paper_table,
    paper_comparison,
    paper_figure,
    sections,
    notes=(),
    bd_rates=None,
):
    """Write the report page.

    Parameters
    ----------
    path : Path
        Where ``index.html`` goes.
    summary : pandas.DataFrame
        The study summary (``results/summary.csv``).
    paper_table : pandas.DataFrame
        From :func:`lowrank.report.paper.paper_gap_table`.
    paper_comparison : pandas.DataFrame
        From :func:`lowrank.report.paper.comparison_table`.
    paper_figure : Path
    sections : list of InputSection
    notes : sequence of (category, message)
        What the study plan left out or ignored (unreadable images, ranks
        that do not fit, files that are not images).
    bd_rates : pandas.DataFrame, optional
        From :func:`lowrank.evaluation.bdrate.bd_table`.
    """
    path = Path(path)
    here = path.parent

    def link(figure):
        return urllib.parse.quote(os.path.relpath(figure, here))

    def image(figure, alt):
        target = html.escape(link(figure))
        return f'<a href="{target}"><img src="{target}" alt="{html.escape(alt)}"></a>'

    trained = summary[summary["method"].map(is_network)]
    gaps = trained.groupby("method")["delta_rel_err_2"].agg(lambda d: d.abs().max())
    overview = summary[summary["method"].isin(compared_methods())]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>lowrank study report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Truncated SVD against a linear bottleneck network</h1>",
        "<nav>"
        + "".join(
            f'<a href="#{_anchor(s.name)}">{html.escape(s.name)}</a>' for s in sections
        )
        + '<a href="#paper">paper tables</a></nav>',
        *_findings_html(summary, bd_rates),
        *_glance_html(sections, link),
        *_problems_html(summary, notes),
        *_bd_html(bd_rates),
        '<section id="overview"><h2>Every result</h2>',
        "<details><summary>One row per input, rank and method (click to open). "
        "<code>delta_rel_err_2</code> is the method's relative 2-norm error minus "
        "the SVD's, never negative beyond rounding (Eckart-Young). "
        + "; ".join(
            f"{html.escape(m)}: largest |delta| {_number(v)}" for m, v in gaps.items()
        )
        + ".</summary>",
        overview[OVERVIEW_COLUMNS].to_html(
            index=False, float_format=_number, na_rep=""
        ),
        "</details></section>",
    ]
    for section in sections:
        parts += _section_html(section, image, link)
    parts += _paper_html(paper_table, paper_comparison, paper_figure, sections, image)
    parts.append(f"<script>{VIEWER_SCRIPT}</script></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def _findings_html(summary, bd_rates):
    """What the study found, in a few sentences computed from its tables."""
    items = [
        f"<b>{html.escape(method)}</b> came within {_number(gaps.max())} "
        f"of the SVD's relative 2-norm error everywhere (median "
        f"{_number(gaps.median())} over {gaps.notna().sum()} input-rank "
        f"pairs); worst at {html.escape(str(worst['input']))} rank "
        f"{int(worst['rank'])}; training took "
        f"{rows['train_seconds'].sum():.0f} s in all."
        for method, rows, gaps, worst in _network_gaps(summary)
    ]
    failed = summary[summary["status"] != "ok"]
    items.append(
        "Every approximation finished with status ok."
        if failed.empty
        else f'<a href="#problems">{len(failed)} approximation'
        f"{'' if len(failed) == 1 else 's'} did not finish ok</a>: "
        + ", ".join(
            f"{count} {html.escape(status)}"
            for status, count in failed["status"].value_counts().items()
        )
        + "."
    )
    if not (warned := _warnings(summary)).empty:
        items.append(
            f'<a href="#problems">{len(warned)} finished ok with a warning</a>: '
            + "; ".join(
                f"{count} × {html.escape(message)}"
                for message, count in warned["message"].value_counts().items()
            )
        )
    if bd_rates is not None and not bd_rates.empty:
        means = bd_rates[(bd_rates["input"] == "mean") & (bd_rates["test"] == "svd-q8")]
        if not means.empty:
            items.append(
                "As a codec, 8-bit SVD factors need "
                + ", ".join(
                    f"{row.bd_rate_percent:+.0f} % bits against "
                    f"{html.escape(row.anchor.upper())}"
                    for row in means.itertuples()
                )
                + ' for the same PSNR (<a href="#codecs">mean BD-rate over the '
                "images</a>)."
            )
    return [
        '<section id="findings"><h2>What this study found</h2><ul>',
        *(f"<li>{item}</li>" for item in items),
        "</ul></section>",
    ]


def _glance_html(sections, link):
    """Per input a thumbnail and a one-line verdict, linking to its section."""
    rows = []
    for section in sections:
        anchor = _anchor(section.name)
        thumbnail = html.escape(link(Path(section.views) / "original.png"))
        rows.append(
            f'<tr><td><a href="#{anchor}"><img class="thumbnail" src="{thumbnail}" '
            f'alt="{html.escape(section.name)}"></a></td>'
            f'<td style="text-align:left"><a href="#{anchor}">'
            f"{html.escape(section.name)}</a>: {_verdict(section.evaluation)}</td></tr>"
        )
    return [
        '<section id="glance"><h2>Each input at a glance</h2>',
        "<p>Largest |delta| of each network's relative 2-norm error against the "
        "SVD's over the studied ranks, and any result that is not ok.</p>",
        f"<table>{''.join(rows)}</table></section>",
    ]


def _network_gaps(table):
    """(method, its rows, |delta rel. 2-norm error|, the worst row) for each
    network method with at least one measured delta."""
    for method, rows in table[table["method"].map(is_network)].groupby("method"):
        gaps = rows["delta_rel_err_2"].abs()
        if gaps.notna().any():
            yield method, rows, gaps, rows.loc[gaps.idxmax()]


def _verdict(table):
    parts = [
        f"{html.escape(method)} within {_number(gaps.max())} "
        f"(worst at rank {int(worst['rank'])})"
        for method, _, gaps, worst in _network_gaps(table)
    ]
    failed = table[table["status"] != "ok"]
    if not failed.empty:
        parts.append(
            ", ".join(
                f"{html.escape(row.method)} rank {int(row.rank)} "
                f"{html.escape(row.status)}"
                for row in failed.itertuples()
            )
        )
    return "; ".join(parts) or "no trained network"


def _bd_html(bd_rates):
    if bd_rates is None or bd_rates.empty:
        return []
    return [
        '<section id="codecs"><h2>SVD factors against image codecs</h2>',
        "<p>BD-rate: the average difference in bits for the same PSNR (negative: "
        "the SVD format needs fewer bits than the codec), over the PSNR range "
        "both curves cover (psnr_low to psnr_high); BD-PSNR: the average PSNR "
        "difference at the same rate. Akima interpolation (the bjontegaard "
        "package) on each curve's efficient points. A note marks curves that "
        "share under 75 % of their joint PSNR range.</p>",
        bd_rates.to_html(index=False, float_format=_number, na_rep=""),
        "</section>",
    ]


PROBLEM_COLUMNS = ["input", "member", "rank", "method", "status", "message"]


def _warnings(summary):
    """The rows that finished ok but say something: a record's warning."""
    message = summary["message"].fillna("")
    return summary[(summary["status"] == "ok") & (message != "")]


def _problems_html(summary, notes):
    """Every failed (input, rank, method) and everything the plan left out, in
    one place at the top of the page."""
    failed = summary[summary["status"] != "ok"]
    warned = _warnings(summary)
    parts = ['<section id="problems"><h2>Failures and inputs left out</h2>']
    if failed.empty:
        parts.append("<p>Every approximation finished with status ok.</p>")
    else:
        parts += [
            f"<p>{len(failed)} of {len(summary)} rows did not finish ok; their "
            "measures of the approximation are empty where they mean nothing "
            '(README, "What happens when").</p>',
            failed[PROBLEM_COLUMNS].to_html(index=False, na_rep=""),
        ]
    if not warned.empty:
        parts += [
            f"<p>{len(warned)} rows finished ok with a warning (a GPU job that "
            "trained on the CPU, for one):</p>",
            warned[[*PROBLEM_COLUMNS, "device"]].to_html(index=False, na_rep=""),
        ]
    if notes:
        parts.append("<ul>")
        parts += [
            f"<li>{html.escape(category)}: {html.escape(message)}</li>"
            for category, message in notes
        ]
        parts.append("</ul>")
    else:
        parts.append("<p>No input was left out or ignored.</p>")
    parts.append("</section>")
    return parts


def _paper_html(paper_table, comparison, paper_figure, sections, image):
    """The paper page: Bleckel's numbers beside ours, then the set tables."""
    parts = [
        '<section id="paper"><h2>The paper\'s numbers beside ours</h2>',
        "<p>Every gap Bleckel reports (|delta|, the network's relative 2-norm "
        "error minus the SVD's), with the figure or section it is read from, "
        "beside this study's experiment of the same name: nn-paper's mean and "
        "standard deviation over the set's members, nn-exact's largest |delta|, "
        "and the errors behind them. The defaults of what the paper does not "
        "state (training vectors U[0, 1), no biases, Adam at 1e-3, batch 32, "
        "symmetric matrices from a mirrored upper triangle) are our assumptions, "
        "chosen by the variants in bench/paper_variants.md; the settings this "
        "study used are in its config and in every record.</p>",
    ]
    if comparison.empty:
        parts.append(
            "<p>This study runs none of the paper's experiments under their names "
            "(config/paper.yaml does).</p>"
        )
    else:
        parts.append(comparison.to_html(index=False, float_format=_number, na_rep=""))
    parts += [
        "<p>Mean |delta| per rank over the members of each random matrix set, for "
        "both regimes; bars are one standard deviation over the members, crosses "
        "the paper's values. nn-exact lies on the floor of rounding error.</p>",
        image(paper_figure, "mean |delta| per rank"),
        paper_table.to_html(index=False, float_format=_number),
    ]
    reproduced = set(comparison["experiment"])
    for section in sections:
        if section.kind != "image" or section.name not in reproduced:
            continue
        parts.append(f"<h3>{html.escape(section.name)}: the paper's image</h3>")
        for rank, panels, _ in section.ranks:
            parts.append(image(panels, f"{section.name} at rank {rank}"))
    parts.append("</section>")
    return parts


def _section_html(section, image, link):
    rows, cols = section.shape
    parts = [
        f'<section id="{_anchor(section.name)}"><h2>{html.escape(section.name)} '
        f"({html.escape(section.kind)}, {rows}x{cols})</h2>",
        "<p>Relative errors against rank: the SVD at every rank (line) and each "
        "method at the studied ranks (markers); right, the singular values. The "
        "SVD's 2-norm error at rank k is s_(k+1)/s_1.</p>",
        image(section.errors_figure, f"errors of {section.name}"),
    ]
    if section.rate_distortion_figure is not None:
        parts += [
            "<h3>Rate and distortion</h3>",
            f"<p>{html.escape(section.rate_distortion_text)}</p>",
            image(section.rate_distortion_figure, f"rate-distortion of {section.name}"),
        ]
    parts += [
        "<h3>Approximations</h3>",
        "<p>Original and approximations at the rank the slider picks, with each "
        "one's relative errors; the curve marks that rank on each method's 2-norm "
        "error. Below, the training loss per step: dashed lines are the losses of "
        "the best rank-j approximations, j = 1..k. A linear bottleneck learns one "
        "singular mode at a time (Saxe et al. 2014), so the loss rests on plateaus "
        "at these levels and breaks through to the next; nn-exact passes them in a "
        "few Gauss-Newton sweeps and stops on the rank-k line.</p>",
        *_viewer_html(section, link),
        "<details><summary>Every rank as a printable figure</summary>",
    ]
    for rank, panels, training in section.ranks:
        parts += [
            f"<h4>Rank {rank}</h4>",
            image(panels, f"{section.name} rank {rank} approximations"),
            image(training, f"{section.name} rank {rank} training"),
        ]
    parts.append("</details></section>")
    return parts


def _viewer_html(section, link):
    """A rank slider over the input's pictures, their errors, a flip view and
    the error curve with the chosen rank marked (:data:`VIEWER_SCRIPT`)."""
    table = section.evaluation
    ranks = [rank for rank, _, _ in section.ranks]
    methods = [m for m in compared_methods() if m in set(table["method"])]
    rows = table.set_index(["method", "rank"])
    views = Path(section.views)
    data = {
        "ranks": ranks,
        "methods": methods,
        "original": link(views / "original.png"),
        "images": {
            m: [link(views / f"{m}-rank{rank}.png") for rank in ranks] for m in methods
        },
        "captions": {
            m: [_view_caption(rows.loc[(m, rank)], m, rank) for rank in ranks]
            for m in methods
        },
        "training": [link(training) for _, _, training in section.ranks],
    }
    curve, data["marker"] = _error_curve(rows, methods, ranks)
    shown = len(ranks) // 2
    name = html.escape(section.name)
    figures = "".join(
        f'<figure data-method="{m}"><img src="{html.escape(data["images"][m][shown])}"'
        f' alt="{name}, {m}"><figcaption>'
        f"{html.escape(data['captions'][m][shown])}</figcaption></figure>"
        for m in methods
    )
    buttons = "".join(f'<button data-method="{m}">{m}</button>' for m in methods)
    original = html.escape(data["original"])
    return [
        f'<div class="viewer" tabindex="0" aria-label="viewer of {name}">',
        f'<p><label>Rank <input type="range" min="0" max="{len(ranks) - 1}" '
        f'step="1" value="{shown}"> <output>{ranks[shown]}</output></label> '
        f"(ranks {', '.join(map(str, ranks))})</p>",
        f'<div class="views"><figure data-method="original"><img src="{original}" '
        f'alt="{name}, original"><figcaption>original</figcaption></figure>'
        f"{figures}</div>",
        curve,
        f"<p>Flip between the original and {buttons} at full resolution: click "
        "the picture or press F; differences show when flipping.</p>",
        f'<figure class="flip"><img src="{original}" alt="{name}, flip view">'
        "<figcaption>original (click or press F to flip)</figcaption></figure>",
        f'<img class="training" src="{html.escape(data["training"][shown])}" '
        f'alt="{name}, training curves">',
        f'<script type="application/json">{_json_for_html(data)}</script>',
        "</div>",
    ]


def _view_caption(row, method, rank):
    if not np.isfinite(row["rel_err_2"]):
        return f"{method}, rank {rank}: {row['status']}"
    text = (
        f"{method}, rank {rank}: 2-norm {row['rel_err_2']:.4g}, "
        f"Frob. {row['rel_err_fro']:.4g}"
    )
    if np.isfinite(row.get("psnr", math.nan)):
        text += f", PSNR {row['psnr']:.1f} dB"
    return text if row["status"] == "ok" else f"{text} ({row['status']})"


def _error_curve(rows, methods, ranks):
    """An inline SVG of each method's 2-norm error (log scale) at the studied
    ranks, and the x position of each rank for the marker."""
    low, high = min(ranks), max(ranks)
    width = CURVE_WIDTH - 2 * CURVE_MARGIN

    def x(rank):
        return CURVE_MARGIN + (
            width * (rank - low) / (high - low) if high > low else width / 2
        )

    errors = {m: [float(rows.loc[(m, r), "rel_err_2"]) for r in ranks] for m in methods}
    finite = [e for values in errors.values() for e in values if np.isfinite(e)]
    logs = np.log10(np.clip(finite or [1.0], 1e-17, None))
    bottom, top = float(logs.min()) - 0.1, float(logs.max()) + 0.1

    def y(error):
        level = math.log10(min(max(error, 1e-17), 1e300))
        return CURVE_MARGIN / 2 + (CURVE_HEIGHT - 1.5 * CURVE_MARGIN) * (
            top - level
        ) / (top - bottom)

    parts = [
        f'<svg class="curve" width="{CURVE_WIDTH}" height="{CURVE_HEIGHT}" '
        f'role="img" aria-label="relative 2-norm error against rank">'
    ]
    for method in methods:
        points = [(x(r), y(e)) for r, e in zip(ranks, errors[method]) if np.isfinite(e)]
        colour = method_style(method)["colour"]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}"/>')
        parts += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
            for px, py in points
        ]
    for rank in ranks:
        parts.append(
            f'<text x="{x(rank):.1f}" y="{CURVE_HEIGHT - 4}" font-size="10" '
            f'text-anchor="middle">{rank}</text>'
        )
    legend = ", ".join(
        f'<tspan fill="{method_style(m)["colour"]}">{html.escape(m)}</tspan>'
        for m in methods
    )
    parts.append(
        f'<text x="4" y="10" font-size="10">2-norm error (log scale): {legend}</text>'
    )
    marker = [round(x(rank), 1) for rank in ranks]
    shown = marker[len(ranks) // 2]
    parts.append(
        f'<line class="marker" x1="{shown}" x2="{shown}" y1="12" '
        f'y2="{CURVE_HEIGHT - 14}" stroke="#888" stroke-dasharray="3"/></svg>'
    )
    return "".join(parts), marker


def _json_for_html(data):
    # "</" would end the script element early.
    return json.dumps(data).replace("</", "<\\/")


def _anchor(name):
    return "input-" + "".join(c if c.isalnum() else "-" for c in name)


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.4g}"
