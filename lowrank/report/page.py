"""The study's HTML report: ``index.html`` that opens from disk, no server.

This module gathers the page's data; ``templates/index.html.j2`` lays it out
(Jinja2 with autoescaping, so every name and message from the study is
escaped). The page's folder holds the figures it shows, hard links to (or
copies of) the study's files under the same relative paths: it opens and
moves as one, and Snakemake's own report embeds it whole (``htmlindex``).
"""

import json
import math
import os
import shutil
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from lowrank.errors import RecordError
from lowrank.methods import compared_methods, is_network
from lowrank.report import findings, verdicts
from lowrank.report.viewer import viewer_data

OVERVIEW_COLUMNS = [
    "input", "member", "rank", "method", "status", "rel_err_2", "delta_rel_err_2",
    "rel_err_fro", "psnr", "ssim", "compression_ratio", "train_seconds", "steps",
]  # fmt: skip
PROBLEM_COLUMNS = ["input", "member", "rank", "method", "status", "message"]

SOURCE_DATA = ("templates",)  # digested with this module (lowrank.provenance)
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("lowrank.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


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


def write_index(
    path,
    summary,
    paper_table,
    paper_comparison,
    paper_figure,
    sections,
    notes=(),
    bd_rates=None,
    bd_rates_per_image=None,
    set_figure=None,
    bd_tables=(),
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
        From :func:`lowrank.evaluation.bdrate.aggregate_table`.
    bd_rates_per_image : pandas.DataFrame, optional
        From :func:`lowrank.evaluation.bdrate.bd_table`.
    set_figure : Path, optional
        The set's mean curves, the page's first figure.
    bd_tables : sequence of Path
        The BD tables the page links to, whole.
    """
    path = Path(path)
    here = path.parent

    def link(figure):
        return urllib.parse.quote(published(Path(figure), here).as_posix())

    page = TEMPLATES.get_template("index.html.j2").render(
        link=link,
        anchor=anchor,
        number=number,
        tojson=json_for_html,
        **page_data(summary, paper_table, paper_comparison, paper_figure),
        problems=problems_data(summary, notes),
        **codec_data(bd_rates, bd_tables),
        allocation_gains=findings.allocation_gains(bd_rates_per_image),
        set_figure=set_figure,
        sections=[section_data(section, link) for section in sections],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def published(figure, folder):
    """Put ``figure`` into the page's ``folder`` at its path relative to the
    folder's parent (``results/figures/x.svg`` -> ``results/report/figures/
    x.svg``) and return that path, relative to the folder. A hard link
    where the file system allows one, else a copy; a figure that was not
    written (a network that produced none) is linked all the same."""
    inside = Path(os.path.relpath(figure, folder.parent))
    if inside.parts[0] == os.pardir:
        raise ValueError(f"{figure}: a figure outside {folder.parent}")
    copy = folder / inside
    if figure.is_symlink() or not _is_within(figure, folder.parent):
        # A link would publish whatever it points at (a hard link follows it).
        raise RecordError(
            f"{figure}: a link, or a path leading out of {folder.parent}, where a "
            "figure was written; delete it and run again"
        )
    if figure.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.unlink(missing_ok=True)
        try:
            os.link(figure, copy)
        except OSError:
            shutil.copyfile(figure, copy)
    return inside


def _is_within(path, folder):
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


def page_data(summary, paper_table, paper_comparison, paper_figure):
    trained = summary[summary["method"].map(is_network)]
    gaps = trained.groupby("method")["delta_rel_err_2"].agg(lambda d: d.abs().max())
    overview = summary[summary["method"].isin(compared_methods())]
    return {
        "network_gaps": list(findings.network_gaps(summary)),
        "largest_gaps": list(gaps.items()),
        "overview": table_data(overview, OVERVIEW_COLUMNS),
        "paper": {
            "comparison": table_data(paper_comparison),
            "experiments": set(paper_comparison.get("experiment", [])),
            "table": table_data(paper_table),
            "figure": paper_figure,
        },
    }


def problems_data(summary, notes):
    """Every failed (input, rank, method), every warning and everything the
    plan left out, for one place at the top of the page."""
    failed = findings.failed_rows(summary)
    warned = findings.warned_rows(summary)
    return {
        "rows": len(summary),
        "failed": len(failed),
        "failed_statuses": findings.counts(failed["status"]),
        "failed_table": table_data(failed, PROBLEM_COLUMNS),
        "warned": len(warned),
        "warned_messages": findings.counts(warned["message"]),
        "warned_table": table_data(warned, [*PROBLEM_COLUMNS, "device"]),
        "notes": list(notes),
    }


def section_data(section, link):
    viewer, curve = viewer_data(section, link)
    return {
        "section": section,
        "gaps": list(findings.network_gaps(section.evaluation)),
        "failed": list(findings.failed_rows(section.evaluation).itertuples()),
        "viewer": viewer,
        "curve": curve,
        "shown": len(viewer["ranks"]) // 2,
    }


def codec_data(aggregate, tables):
    """The codec section's matrices, headline verdicts, the strongest anchor
    of each measure, the images and encoders they rest on and the linked
    ``tables``."""
    matrices = verdicts.matrices(aggregate)
    if not matrices:
        return {"bd_matrices": [], "headline": [], "strongest": []}
    encoders = {}
    for row in aggregate.itertuples():
        encoders.setdefault(row.test, row.test_encoder)
        encoders.setdefault(row.anchor, row.anchor_encoder)
    images = sorted(
        {n for names in aggregate["aggregated"].dropna() for n in names.split(", ")}
    )
    return {
        "bd_matrices": matrices,
        "headline": verdicts.headline(aggregate),
        "strongest": [(matrix["label"], *matrix["anchors"][0]) for matrix in matrices],
        "bd_images": f"{len(images)}: {', '.join(images)}",
        "bd_tables": [(Path(path).name, Path(path)) for path in tables],
        "encoders": [(name, text) for name, text in sorted(encoders.items()) if text],
    }


def table_data(frame, columns=None):
    """A table's header and cells as text: floats to four significant
    digits, missing values empty. ``columns`` the frame lacks are left out."""
    columns = [c for c in columns or frame.columns if c in frame.columns]
    return {
        "columns": columns,
        "rows": [[number(value) for value in row] for row in frame[columns].values],
    }


def json_for_html(data):
    # "</" would end the script element early; the template marks it safe.
    return json.dumps(data).replace("</", "<\\/")


def anchor(name):
    return "input-" + "".join(c if c.isalnum() else "-" for c in name)


def number(value):
    """A cell's text: four significant digits for a float, empty where missing."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)
