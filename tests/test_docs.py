"""Every number the documents quote comes from a row of a file in the
repository.

Two checks:

- A table under ``<!-- source: FILE; keys: K, ...; columns: C, ... -->`` in
  docs/ is a view of the CSV ``FILE``: each row's key cells find one row of
  the CSV, and each further cell is that row's value of the next column, to
  the digits shown (a whole number exactly; an empty cell: a missing value).
- Every other decimal number in README.md, config/README.md and docs/ (not in
  code), negative ones, ends of ranges and numbers before a full stop
  included, is a link to the line of its source file that holds it:
  ``[0.050](../bench/paper_numbers_2026-12-05.md#L9 "largest miss")``. The
  title names the column: required for a CSV (the line is the row), and for
  a row of a Markdown table (the header's cell); on a line of text it is
  words of that line, and the number is the first one after them, or
  ``number N``, the line's N-th number (aligned columns of a tool's output). A link to
  a line with more than one number must have a title. A signed quote
  (``[-9.2](...)``) must match the signed value; an unsigned one its size
  (the words around it say which way). Every link must also fail when a
  digit of its number is changed, so a quote cannot pass on a neighbouring
  value; a seeded sample of quotes is flipped digit by digit to prove it.
  Whole numbers (ranks, sizes, counts, years) are not checked.
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
# A decimal not inside a word, a version (1.2.3) or a path; a sign or a
# range's dash before it, or a full stop after it, leaves it a number.
NUMBER = re.compile(rf"(?<![\w.§/^]){DECIMAL}(?!\w|\.\d)")
CANDIDATE = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
QUOTE = re.compile(  # a linked whole number is checked too
    rf"\[(?P<number>[-−]?(?:{DECIMAL}|\d+))\]\((?P<path>[^)#\s]+)#L(?P<line>\d+)"
    r'(?: "(?P<column>[^"]+)")?\)'
)


def shown_as(token, value):
    """Whether ``value`` rounds to ``token`` at the digits ``token`` shows:
    with its sign where ``token`` has one, else its size."""
    if not math.isfinite(value):
        return False
    token = token.replace("−", "-")
    signed = token.startswith("-")
    mantissa, _, exponent = token.lower().lstrip("-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent or 0)
    shown = value if signed else abs(value)
    return abs(shown - float(token)) <= 0.5 * 10.0**-decimals * scale * (1 + 1e-9)


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
    header = markdown_header(lines, line - 1) if text.startswith("|") else None
    if header is not None and column is not None:
        if column not in header:
            raise ValueError(f"{path.name}:{line}: no column {column!r}")
        text = table_cells(text)[header.index(column)]
    elif column is not None and (place := re.fullmatch(r"number (\d+)", column)):
        found = CANDIDATE.findall(text)  # the N-th number of a line of text
        return [float(found[int(place[1]) - 1])] if int(place[1]) <= len(found) else []
    elif column is not None:  # words of a line of text: the number after them
        if column not in text:
            raise ValueError(f"{path.name}:{line}: no words {column!r} on the line")
        return [float(t) for t in CANDIDATE.findall(text.partition(column)[2])[:1]]
    found = [float(t) for t in CANDIDATE.findall(text)]
    if len(found) > 1 and column is None:
        raise ValueError(f"{path.name}:{line}: {len(found)} numbers; name a column")
    return found


def quotes(page, text=None):
    """(number, source path, line, column) of every linked number of
    ``page`` (or of ``text`` read as that page)."""
    text = page.read_text(encoding="utf-8") if text is None else text
    for match in QUOTE.finditer(prose(text)):
        path = (page.parent / match["path"]).resolve()
        yield match["number"], path, int(match["line"]), match["column"]


def wrong_digits(token):
    """``token`` with its last shown digit one up and one down."""
    mantissa, e, exponent = token.replace("−", "-").partition("e")
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


def wrong_quotes(page, text=None):
    """What is wrong with the quotes of ``page`` (its ``text`` if given)."""
    wrong = []
    for number, path, line, column in quotes(page, text):
        place = f"{number} -> {path.relative_to(REPO)}#L{line} {column or ''}"
        if path in PAGES:
            wrong.append(f"{place}: a page quotes a page, not a source")
            continue
        try:
            values = quoted_values(path, line, column)
        except ValueError as error:
            wrong.append(f"{place}: {error}")
            continue
        if not any(shown_as(number, value) for value in values):
            wrong.append(f"{place}: source shows {values}")
        elif any(shown_as(w, v) for w in wrong_digits(number) for v in values):
            wrong.append(f"{place}: a wrong digit would pass too; name a column")
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_quote_is_its_source(page):
    wrong = wrong_quotes(page)
    assert wrong == [], "\n".join(wrong)


def test_a_flipped_digit_in_any_quote_fails():
    """Mutation: a seeded sample of the pages' quotes, each copied with its
    last digit one up and one down, must each be reported wrong."""
    import random

    found = [
        (page, match)
        for page in PAGES
        for match in QUOTE.finditer(page.read_text(encoding="utf-8"))
    ]
    sample = random.Random(48).sample(found, min(60, len(found)))
    survived = []
    for page, match in sample:
        text = page.read_text(encoding="utf-8")
        for wrong in wrong_digits(match["number"]):
            start, end = match.span("number")
            mutated = text[:start] + wrong + text[end:]
            if not any(
                f"{wrong} ->" in problem for problem in wrong_quotes(page, mutated)
            ):
                survived.append(f"{page.name}: {match['number']} -> {wrong}")
    assert survived == [], survived


def test_a_wrong_digit_fails(tmp_path):
    source = tmp_path / "numbers.md"
    source.write_text("| set | gap |\n| --- | ---: |\n| random10 | 0.050 |\n")
    page = tmp_path / "page.md"
    page.write_text('Missed by [0.060](numbers.md#L3 "gap").\n')
    ((number, path, line, column),) = quotes(page)
    assert not shown_as(number, quoted_values(path, line, column)[0])
    assert shown_as("0.050", quoted_values(path, line, column)[0])


def test_signs_ranges_sentence_ends_and_crowded_lines_are_checked(tmp_path):
    source = tmp_path / "numbers.md"
    source.write_text(
        "gain -9.2 %, then 0.5 and 0.7\n| a | b |\n| --- | --- |\n| 1.5 | 2.5 |\n"
    )
    unlinked = "A loss of -9.2 %, a range 0.25-1.5 and an end 0.75."
    assert NUMBER.findall(unlinked) == ["9.2", "0.25", "1.5", "0.75"]
    page = tmp_path / "page.md"
    for text, ok in (
        ('[-9.2](numbers.md#L1 "gain")', True),
        ('[-9.3](numbers.md#L1 "gain")', False),  # a signed digit is checked
        ('[9.2](numbers.md#L1 "gain")', True),  # unsigned: words carry the sign
        ('[9.2](numbers.md#L1 "then")', False),  # the number after the words
        ('[0.7](numbers.md#L1 "number 3")', True),
        ("[0.5](numbers.md#L1)", False),  # three numbers: a title is needed
        ('[2.5](numbers.md#L4 "b")', True),
    ):
        page.write_text(text)
        ((number, path, line, column),) = quotes(page)
        try:
            values = quoted_values(path, line, column)
        except ValueError:
            values = []
        assert any(shown_as(number, v) for v in values) == ok, text


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


def shown_in_cell(cell, value):
    """Whether a table cell shows ``value``: a whole number (0, 1, 20) only
    the same whole number, not anything within a half of it."""
    if re.fullmatch(r"-?\d+", cell):
        return math.isclose(value, int(cell), rel_tol=1e-9, abs_tol=1e-12)
    return shown_as(cell, value)


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
                ok = math.isnan(value) if cell == "" else shown_in_cell(cell, value)
                if not ok:
                    mismatches.append(f"{row[: len(keys)]} {column}: {cell} vs {value}")
    assert mismatches == [], "\n".join(mismatches)


def test_a_whole_number_cell_is_that_number():
    assert shown_in_cell("1", 1.0) and shown_in_cell("0", 0.0)
    assert not shown_in_cell("1", 0.6) and not shown_in_cell("0", 0.4)
    assert shown_in_cell("0.1", 0.1232) and not shown_in_cell("0.1", 0.16)


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
