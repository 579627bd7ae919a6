"""Every number the documents quote comes from a row of a file in the
repository.

Two checks:

- A table under ``<!-- source: FILE; keys: K, ...; columns: C, ... -->`` in
  docs/ is a view of the CSV ``FILE``: each row's key cells find one row of
  the CSV, and each further cell is that row's value of the next column, to
  the digits shown (an empty cell: a missing value).
- Every other decimal number in README.md, config/README.md and docs/ (not in
  code) is a link to the line of its source file that holds it:
  ``[0.050](../bench/paper_numbers_2026-12-05.md#L9 "largest miss")``. The
  title names the column: required for a CSV (the line is the row), and for
  a row of a Markdown table (the header's cell); a line of text holds the
  number anywhere. Every link must also fail when a digit of its number is
  changed, so a quote cannot pass on a neighbouring value. Whole numbers
  (ranks, sizes, counts, years) are not checked.
"""

import math
import re
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [
    REPO / "README.md",
    REPO / "config" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
SOURCE = re.compile(
    r"<!-- source: (?P<file>\S+); keys: (?P<keys>[\w, ]+); "
    r"columns: (?P<columns>[\w, ]+) -->"
)
DECIMAL = r"(?:\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+)"
NUMBER = re.compile(rf"(?<![\w.§/^-]){DECIMAL}(?![\w.])")
CANDIDATE = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
QUOTE = re.compile(  # a linked whole number is checked too
    rf"\[(?P<number>{DECIMAL}|\d+)\]\((?P<path>[^)#\s]+)#L(?P<line>\d+)"
    r'(?: "(?P<column>[^"]+)")?\)'
)


def shown_as(token, value):
    """Whether ``value`` rounds to ``token`` at the digits ``token`` shows."""
    if not math.isfinite(value):
        return False
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent or 0)
    return abs(abs(value) - float(token)) <= 0.5 * 10.0**-decimals * scale * (1 + 1e-9)


def prose(text):
    """The text outside code blocks, inline code and sourced tables."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    lines, in_sourced_table = [], False
    for line in text.splitlines():
        if SOURCE.search(line):
            in_sourced_table = True
        elif in_sourced_table and not line.startswith("|"):
            in_sourced_table = line.strip() == ""
        if not in_sourced_table:
            lines.append(line)
    return "\n".join(lines)


def table_cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def markdown_header(lines, index):
    """The header cells of the Markdown table holding line ``index``; None
    where its rows have no header (no separator line under the first)."""
    while index > 0 and lines[index - 1].startswith("|"):
        index -= 1
    separator = lines[index + 1] if index + 1 < len(lines) else ""
    if not re.fullmatch(r"\|(?:\s*:?-+:?\s*\|)+", separator.strip()):
        return None
    return table_cells(lines[index])


def quoted_values(path, line, column):
    """The numbers a quote of ``path`` at ``line`` (1-based) and ``column``
    may show; ValueError where the file has no such place."""
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
        if column is None or column not in frame.columns:
            raise ValueError(f"{path.name}: a CSV quote names a column, got {column}")
        value = frame.iloc[line - 2][column]
        try:
            return [float(value)]
        except (TypeError, ValueError):
            return [float(t) for t in CANDIDATE.findall(str(value))]
    lines = path.read_text(encoding="utf-8").splitlines()
    text = lines[line - 1]
    if text.startswith("|") and column is not None:
        header = markdown_header(lines, line - 1) or []
        if column not in header:
            raise ValueError(f"{path.name}:{line}: no column {column!r}")
        text = table_cells(text)[header.index(column)]
    return [float(t) for t in CANDIDATE.findall(text)]


def quotes(page):
    """(number, source path, line, column) of every linked number."""
    for match in QUOTE.finditer(prose(page.read_text(encoding="utf-8"))):
        path = (page.parent / match["path"]).resolve()
        yield match["number"], path, int(match["line"]), match["column"]


def wrong_digits(token):
    """``token`` with its last shown digit one up and one down."""
    mantissa, e, exponent = token.partition("e")
    digits = [i for i, c in enumerate(mantissa) if c.isdigit()]
    last = digits[-1]
    for step in (1, -1):
        digit = (int(mantissa[last]) + step) % 10
        wrong = mantissa[:last] + str(digit) + mantissa[last + 1 :] + e + exponent
        if float(wrong) != 0:  # a zero would match any tiny neighbour
            yield wrong


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_decimal_is_a_quote(page):
    unlinked = NUMBER.findall(QUOTE.sub("", prose(page.read_text(encoding="utf-8"))))
    assert unlinked == [], f"{page.name}: numbers without a source link: {unlinked}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_quote_is_its_source(page):
    wrong = []
    for number, path, line, column in quotes(page):
        place = f"{number} -> {path.relative_to(REPO)}#L{line} {column or ''}"
        if path in PAGES:
            wrong.append(f"{place}: a page quotes a page, not a source")
            continue
        values = quoted_values(path, line, column)
        if not any(shown_as(number, value) for value in values):
            wrong.append(f"{place}: source shows {values}")
        elif any(shown_as(w, v) for w in wrong_digits(number) for v in values):
            wrong.append(f"{place}: a wrong digit would pass too; name a column")
    assert wrong == [], "\n".join(wrong)


def test_a_wrong_digit_fails(tmp_path):
    source = tmp_path / "numbers.md"
    source.write_text("| set | gap |\n| --- | ---: |\n| random10 | 0.050 |\n")
    page = tmp_path / "page.md"
    page.write_text('Missed by [0.060](numbers.md#L3 "gap").\n')
    ((number, path, line, column),) = quotes(page)
    assert not shown_as(number, quoted_values(path, line, column)[0])
    assert shown_as("0.050", quoted_values(path, line, column)[0])


def sourced_tables(text):
    """(source match, table rows as cell lists) for each declared table."""
    for match in SOURCE.finditer(text):
        lines = text[match.end() :].lstrip("\n").splitlines()
        rows = []
        for line in lines[2:]:  # after the header and the separator
            if not line.startswith("|"):
                break
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        yield match, rows


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_sourced_tables_match_their_csv(page):
    mismatches = []
    for match, rows in sourced_tables(page.read_text(encoding="utf-8")):
        frame = pd.read_csv(REPO / match["file"])
        keys = [k.strip() for k in match["keys"].split(",")]
        columns = [c.strip() for c in match["columns"].split(",")]
        assert rows, f"{match['file']}: the table under its comment is empty"
        for row in rows:
            found = frame
            for key, cell in zip(keys, row):
                column = frame[key]
                if pd.api.types.is_numeric_dtype(column):
                    found = found[found[key] == float(cell)]
                else:
                    found = found[found[key] == cell]
            assert len(found) == 1, f"{match['file']}: no single row for {row}"
            for column, cell in zip(columns, row[len(keys) :]):
                value = float(found.iloc[0][column])
                ok = math.isnan(value) if cell == "" else shown_as(cell, value)
                if not ok:
                    mismatches.append(f"{row[: len(keys)]} {column}: {cell} vs {value}")
    assert mismatches == [], "\n".join(mismatches)


def test_the_paper_page_declares_its_tables():
    text = (REPO / "docs" / "paper.md").read_text(encoding="utf-8")
    assert len(list(sourced_tables(text))) >= 3


def test_readme_is_a_users_page():
    # A development log creeps back as run-by-run entries with revisions.
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    assert (
        re.findall(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b", text) == []
    )
    first_screen = "\n".join(text.splitlines()[:40])
    for needed in ("make study", "make test", "results/report/index.html"):
        assert needed in first_screen, needed
