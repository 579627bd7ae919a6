"""The codec comparison at a glance, from the aggregate BD table
(:func:`lowrank.evaluation.bdrate.aggregate_table`): per measure a matrix
of BD-rates with their bootstrap intervals (rows: low-rank formats and
codecs, then anchors; columns: anchors, strongest first) and sentences
rounded to what each interval supports."""

import math
from dataclasses import dataclass

from lowrank.evaluation.bdrate import anchor_names

REFERENCE = "jpeg"  # the anchor every other is ranked against
MEASURES = {
    "psnr": "PSNR-RGB", "psnr_y": "PSNR-Y", "ssim_db": "SSIM (dB)",
    "ms_ssim_db": "MS-SSIM (dB)", "ssimulacra2": "SSIMULACRA2",
}  # fmt: skip
# Under this share of the common quality interval on some image, a cell is
# starred: its figure partly rests on a curve that ends inside the interval.
STARRED_OVERLAP = 0.75


@dataclass(frozen=True)
class Cell:
    text: str  # the rounded BD-rate, e.g. "+300 %"
    interval: str  # its bootstrap interval, e.g. "210 to 380"
    colour: str  # CSS background
    note: str  # the row's warning, shown on hover
    starred: bool


def supported_places(low, high):
    """The decimal place that the interval (low, high) supports for its
    centre: that of the leading digit of its width (1: tenths, 0: units,
    -2: hundreds), none finer than the interval can tell apart."""
    width = abs(high - low)
    if not math.isfinite(width) or width == 0:
        return 2
    return -math.floor(math.log10(width))


def rounded(value, low, high):
    """(value, low, high) as text: the value to :func:`supported_places`,
    the bounds one place finer."""
    places = supported_places(low, high)
    return tuple(
        _at_place(number, places + finer)
        for number, finer in ((value, 0), (low, 1), (high, 1))
    )


def _at_place(number, places):
    text = f"{number:.{places}f}" if places > 0 else f"{round(number, places):.0f}"
    return text.removeprefix("-") if float(text) == 0 else text  # no "-0"


def anchor_strengths(aggregate, metric):
    """(anchor, geometric-mean BD-rate % against :data:`REFERENCE`) of every
    anchor with rows for ``metric``, the lowest rate at equal quality first;
    the reference itself at 0."""
    rows = aggregate[
        (aggregate["metric"] == metric) & (aggregate["anchor"] == REFERENCE)
        & aggregate["test"].isin(anchor_names())
    ].dropna(subset=["geometric_mean_percent"])  # fmt: skip
    strengths = dict(zip(rows["test"], rows["geometric_mean_percent"]))
    present = set(aggregate.loc[aggregate["metric"] == metric, "anchor"])
    if REFERENCE in present:
        strengths[REFERENCE] = 0.0
    return sorted(strengths.items(), key=lambda item: item[1])


def matrices(aggregate):
    """Per measure with rows: {metric, label, anchors, rows}, ``anchors`` as
    :func:`anchor_strengths`, ``rows`` (test, [Cell or None per anchor]),
    the low-rank formats and codecs first, then the anchors by strength."""
    if aggregate is None or aggregate.empty:
        return []
    result = []
    for metric, label in MEASURES.items():
        strengths = anchor_strengths(aggregate, metric)
        if not strengths:
            continue
        anchors = [name for name, _ in strengths]
        rows = aggregate[
            (aggregate["metric"] == metric) & aggregate["anchor"].isin(anchors)
        ]  # fmt: skip
        by_pair = {(row.test, row.anchor): row for row in rows.itertuples()}
        low_rank = [t for t in dict.fromkeys(rows["test"]) if t not in anchor_names()]
        tests = [*low_rank, *anchors]
        result.append({
            "metric": metric, "label": label, "anchors": strengths,
            "rows": [
                (test, [_cell(by_pair.get((test, anchor))) for anchor in anchors])
                for test in tests
            ],
        })  # fmt: skip
    return result


def _cell(row):
    if row is None or not math.isfinite(row.geometric_mean_percent):
        return None
    value, low, high = rounded(
        row.geometric_mean_percent, row.geometric_mean_low, row.geometric_mean_high
    )
    sign = "+" if not value.startswith("-") else ""
    return Cell(
        text=f"{sign}{value} %",
        interval=f"{low} to {high}",
        colour=_colour(row.geometric_mean_low, row.geometric_mean_high),
        note=str(row.note) if isinstance(row.note, str) else "",
        starred=row.least_overlap < STARRED_OVERLAP,
    )


def _colour(low, high):
    """Green where the whole interval is below 0 (the row needs fewer bits),
    red where it is above, grey where it straddles 0; deeper the further the
    nearer bound is from 0, in halvings or doublings of the rate."""
    if low < 0 < high or not (math.isfinite(low) and math.isfinite(high)):
        return "hsl(0, 0%, 92%)"
    nearer = high if high < 0 else low
    depth = min(1.0, abs(math.log2(1 + nearer / 100)) / 3)
    hue = 130 if high < 0 else 5
    return f"hsl({hue}, 60%, {round(92 - 30 * depth)}%)"


@dataclass(frozen=True)
class Verdict:
    """How many times an anchor's bits a test needs at equal quality."""

    test: str
    anchor: str
    label: str  # the measure's name, as MEASURES gives it
    ratio: str  # rounded to what the interval supports
    low: str
    high: str
    images: int
    aggregated: str
    note: str


def verdict(aggregate, test, anchor, metric="psnr"):
    """The :class:`Verdict` of ``test`` against ``anchor`` on ``metric``
    (the geometric mean of rate ratios with its interval), or None."""
    rows = aggregate[
        (aggregate["test"] == test) & (aggregate["anchor"] == anchor)
        & (aggregate["metric"] == metric)
    ].dropna(subset=["geometric_mean_percent"])  # fmt: skip
    if rows.empty:
        return None
    row = rows.iloc[0]
    ratios = [
        1 + row[column] / 100
        for column in ("geometric_mean_percent", "geometric_mean_low",
                       "geometric_mean_high")
    ]  # fmt: skip
    note = row["note"] if isinstance(row["note"], str) else ""
    return Verdict(
        test, anchor, MEASURES.get(metric, metric), *rounded(*ratios),
        int(row["images"]), str(row["aggregated"]), note,
    )  # fmt: skip


def headline(aggregate, metric="psnr"):
    """Verdicts for the page's first section: the best low-rank format or
    codec (lowest geometric mean against the strongest anchor) against the
    strongest anchor and against :data:`REFERENCE`."""
    strengths = anchor_strengths(aggregate, metric)
    if not strengths:
        return []
    strongest = strengths[0][0]
    rows = aggregate[
        (aggregate["metric"] == metric) & (aggregate["anchor"] == strongest)
        & ~aggregate["test"].isin(anchor_names())
    ].dropna(subset=["geometric_mean_percent"])  # fmt: skip
    if rows.empty:
        return []
    best = rows.loc[rows["geometric_mean_percent"].idxmin(), "test"]
    anchors = dict.fromkeys([strongest, REFERENCE])
    found = (verdict(aggregate, best, anchor, metric) for anchor in anchors)
    return [v for v in found if v is not None]
