"""Line charts as SVG text, for the figures drawn once per input or rank.

Matplotlib lays out a small line chart in about 0.4 s, most of it tick
and text measurement (bench/study_costs_2026-12-02.md); these charts need none of
that: the browser lays out the text. A chart is a row of :class:`Panel`
objects, each with linear or log axes, lines with optional markers,
dashed reference levels and a legend.
"""

import html
import math
from dataclasses import dataclass, field

PANEL_WIDTH, PANEL_HEIGHT = 440, 310
# Room for tick labels (left, bottom), the title (top) and level labels (right).
LEFT, RIGHT, TOP, BOTTOM = 62, 44, 30, 44
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


@dataclass
class Series:
    """One method's points; ``marker`` is a matplotlib marker code or None
    (a line only), ``line=False`` draws the markers alone."""

    x: list
    y: list
    colour: str
    label: str
    marker: str = None
    line: bool = True


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list = field(default_factory=list)
    xlog: bool = False
    ylog: bool = False
    # (value, label) pairs drawn dashed across the panel, labelled at the right.
    levels: list = field(default_factory=list)
    # Red text at the lower left (a failed network).
    note: str = ""


def svg_chart(panels):
    """The SVG document of ``panels`` side by side."""
    width = PANEL_WIDTH * len(panels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{PANEL_HEIGHT}" viewBox="0 0 {width} {PANEL_HEIGHT}" {FONT} '
        'font-size="11"><rect width="100%" height="100%" fill="white"/>'
    ]
    for index, panel in enumerate(panels):
        parts.append(f'<g transform="translate({index * PANEL_WIDTH},0)">')
        parts += _panel(panel)
        parts.append("</g>")
    parts.append("</svg>\n")
    return "".join(parts)


def write_chart(panels, path):
    """Write :func:`svg_chart` to ``path``; return ``[path]``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg_chart(panels), encoding="utf-8")
    return [path]


class _Axis:
    """Data to pixel along one axis, with its ticks."""

    def __init__(self, values, log, start, end):
        self.log, self.start, self.end = log, start, end
        low, high = _limits(values, log)
        self.ticks = _log_ticks(low, high) if log else _linear_ticks(low, high)
        self.low, self.high = self._scaled(low), self._scaled(high)

    def _scaled(self, value):
        return math.log10(value) if self.log else value

    def __call__(self, value):
        span = (self.high - self.low) or 1.0
        return self.start + (self.end - self.start) * (
            (self._scaled(value) - self.low) / span
        )

    def shows(self, value):
        return math.isfinite(value) and (value > 0 or not self.log)


def _limits(values, log):
    finite = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
    if not finite:
        return (0.1, 10.0) if log else (0.0, 1.0)
    low, high = min(finite), max(finite)
    if log:
        return low / 1.25, high * 1.25
    pad = (high - low) * 0.05 or abs(high) * 0.1 or 1.0
    return low - pad, high + pad


def _linear_ticks(low, high, count=5):
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw)
    first = math.ceil(low / step)
    return [k * step for k in range(first, math.floor(high / step) + 1)]


def _log_ticks(low, high):
    """Decades between ``low`` and ``high`` (every few, at most eight);
    1-2-5 steps where fewer than two decades fit, else the two ends."""
    first, last = math.ceil(math.log10(low)), math.floor(math.log10(high))
    if last - first >= 1:
        every = math.ceil((last - first + 1) / 8)
        return [10.0**e for e in range(first, last + 1, every)]
    steps = [
        m * 10.0**e
        for e in range(first - 1, last + 1)
        for m in (1, 2, 5)
        if low <= m * 10.0**e <= high
    ]
    return steps if len(steps) >= 2 else [low, high]


def _label(value):
    return f"{value:.4g}".replace("e-0", "e-").replace("e+0", "e")


def _text(x, y, content, **attributes):
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{html.escape(content)}</text>'


def _panel(panel):
    xs = [v for s in panel.series for v in s.x]
    ys = [v for s in panel.series for v in s.y] + [v for v, _ in panel.levels]
    x = _Axis(xs, panel.xlog, LEFT, PANEL_WIDTH - RIGHT)
    y = _Axis(ys, panel.ylog, PANEL_HEIGHT - BOTTOM, TOP)
    parts = [
        f'<rect x="{LEFT}" y="{TOP}" width="{PANEL_WIDTH - LEFT - RIGHT}" '
        f'height="{PANEL_HEIGHT - TOP - BOTTOM}" fill="none" stroke="#444"/>',
        _text(PANEL_WIDTH / 2, 18, panel.title, text_anchor="middle", font_size=12),
        _text((LEFT + PANEL_WIDTH - RIGHT) / 2, PANEL_HEIGHT - 8, panel.xlabel,
              text_anchor="middle"),
        _text(14, (TOP + PANEL_HEIGHT - BOTTOM) / 2, panel.ylabel,
              text_anchor="middle",
              transform=f"rotate(-90 14 {(TOP + PANEL_HEIGHT - BOTTOM) / 2:.1f})"),
    ]  # fmt: skip
    parts += _ticks(x, y)
    parts += _levels(panel.levels, y)
    points = []
    for series in panel.series:
        shown = [
            (x(a), y(b)) for a, b in zip(series.x, series.y)
            if x.shows(a) and y.shows(b)
        ]  # fmt: skip
        parts += _series(series, shown)
        points += shown
    parts += _legend(panel.series, points)
    if panel.note:
        parts.append(
            _text(LEFT + 6, PANEL_HEIGHT - BOTTOM - 6, panel.note, fill="#d62728")
        )
    return parts


def _ticks(x, y):
    parts = []
    for value in x.ticks:
        at = x(value)
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{PANEL_HEIGHT - BOTTOM}" '
            f'y2="{PANEL_HEIGHT - BOTTOM + 4}" stroke="#444"/>'
        )
        parts.append(
            _text(at, PANEL_HEIGHT - BOTTOM + 16, _label(value), text_anchor="middle")
        )
    for value in y.ticks:
        at = y(value)
        parts.append(
            f'<line x1="{LEFT - 4}" x2="{LEFT}" y1="{at:.1f}" y2="{at:.1f}" '
            'stroke="#444"/>'
        )
        parts.append(_text(LEFT - 6, at + 4, _label(value), text_anchor="end"))
    return parts


def _levels(levels, y):
    """Dashed lines; a label only where it clears the one above (8 px)."""
    parts, last_label = [], -math.inf
    for value, label in sorted(levels, key=lambda level: -level[0]):
        if not y.shows(value):
            continue
        height = y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{PANEL_WIDTH - RIGHT}" y1="{height:.1f}" '
            f'y2="{height:.1f}" stroke="gray" stroke-width="0.6" '
            'stroke-dasharray="4 3"/>'
        )
        if label and height - last_label >= 8:
            parts.append(_text(PANEL_WIDTH - RIGHT + 3, height + 3, label,
                               font_size=8, fill="gray"))  # fmt: skip
            last_label = height
    return parts


def _series(series, points):
    parts = []
    if series.line and len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{series.colour}" '
            'stroke-width="1.3"/>'
        )
    if series.marker:
        parts += [_marker(series.marker, px, py, series.colour) for px, py in points]
    return parts


def _marker(code, px, py, colour, size=4.0):
    if code == "s":
        return (
            f'<rect x="{px - size:.1f}" y="{py - size:.1f}" width="{2 * size}" '
            f'height="{2 * size}" fill="{colour}"/>'
        )
    shapes = {
        "^": ((0, -1.2), (1.1, 0.9), (-1.1, 0.9)),
        "v": ((0, 1.2), (1.1, -0.9), (-1.1, -0.9)),
        "D": ((0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)),
    }
    if code in shapes:
        corners = " ".join(
            f"{px + dx * size:.1f},{py + dy * size:.1f}" for dx, dy in shapes[code]
        )
        return f'<polygon points="{corners}" fill="{colour}"/>'
    if code in ("x", "+"):
        d = size if code == "+" else size * 0.8
        strokes = (
            f"M{px - d:.1f},{py:.1f}h{2 * d:.1f}M{px:.1f},{py - d:.1f}v{2 * d:.1f}"
            if code == "+"
            else f"M{px - d:.1f},{py - d:.1f}l{2 * d:.1f},{2 * d:.1f}"
            f"M{px - d:.1f},{py + d:.1f}l{2 * d:.1f},{-2 * d:.1f}"
        )
        return f'<path d="{strokes}" stroke="{colour}" stroke-width="1.5"/>'
    radius = size * (0.5 if code == "." else 1.0)
    return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{colour}"/>'


LEGEND_WIDTH, LEGEND_ROW = 152, 14


def _legend(series, points):
    """A legend in the corner of the panel that covers the fewest points."""
    entries = [s for s in series if s.label]
    if not entries:
        return []
    height = LEGEND_ROW * len(entries)
    corners = [
        (left, top)
        for top in (TOP + 2, PANEL_HEIGHT - BOTTOM - 2 - height)
        for left in (PANEL_WIDTH - RIGHT - LEGEND_WIDTH - 2, LEFT + 2)
    ]
    left, top = min(
        corners,
        key=lambda corner: sum(
            corner[0] <= px <= corner[0] + LEGEND_WIDTH
            and corner[1] <= py <= corner[1] + height
            for px, py in points
        ),
    )
    parts = [
        f'<rect x="{left}" y="{top}" width="{LEGEND_WIDTH}" height="{height}" '
        'fill="white" fill-opacity="0.8"/>'
    ]
    left += 4
    for row, entry in enumerate(entries):
        row_y = top + 6 + LEGEND_ROW * row
        if entry.line:
            parts.append(
                f'<line x1="{left}" x2="{left + 18}" y1="{row_y}" y2="{row_y}" '
                f'stroke="{entry.colour}" stroke-width="1.3"/>'
            )
        if entry.marker:
            parts.append(_marker(entry.marker, left + 9, row_y, entry.colour))
        parts.append(_text(left + 24, row_y + 4, entry.label, font_size=10))
    return parts
