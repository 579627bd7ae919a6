"""Every number the documents quote comes from a file in the repository.

Two checks:

- A table under ``<!-- source: FILE; keys: K, ...; columns: C, ... -->`` in
  docs/ is a view of the CSV ``FILE``: each row's key cells find one row of
  the CSV, and each further cell is that row's value of the next column, to
  the digits shown (an empty cell: a missing value).
- Every decimal number in the prose and tables of README.md and docs/ (not in
  code) is, to the digits shown, a number of a file the same paragraph names
  in backticks, or of the settings and published values every page may quote
  (the configs, the schema, the paper's numbers). Whole numbers (ranks,
  sizes, counts, years) are not checked.
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
ALWAYS_CITED = [
    "pyproject.toml",
    "config/config.yaml",
    "config/paper.yaml",
    "workflow/schemas/config.schema.yaml",
    "lowrank/data/bleckel_published.csv",
]
SOURCE = re.compile(
    r"<!-- source: (?P<file>\S+); keys: (?P<keys>[\w, ]+); "
    r"columns: (?P<columns>[\w, ]+) -->"
)
NUMBER = re.compile(r"(?<![\w.§/^-])(?:\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+)(?![\w.])")
CANDIDATE = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
CITED = re.compile(r"(?:`|<!-- source: )([\w./-]+\.\w+)")


def shown_as(token, value):
    """Whether ``value`` rounds to ``token`` at the digits ``token`` shows."""
    if not math.isfinite(value):
        return False
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent or 0)
    return abs(abs(value) - float(token)) <= 0.5 * 10.0**-decimals * scale * (1 + 1e-9)


def blocks(text):
    """Paragraphs, list items and tables outside code, as text."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(
        r"`[^`]*`", lambda m: m.group(0) if CITED.match(m.group(0)) else "", text
    )
    block, found = [], []
    for line in text.splitlines() + [""]:
        starts_item = re.match(r"\s*(?:[-*] |\d+\. )", line) and block
        if not line.strip() or starts_item:
            if block:
                found.append("\n".join(block))
            block = [line] if starts_item else []
        else:
            block.append(line)
    return found


def numbers_of(path):
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
        values = frame.select_dtypes("number").to_numpy().ravel().tolist()
        text = " ".join(map(str, frame.select_dtypes(exclude="number").values.ravel()))
        return values + [float(t) for t in CANDIDATE.findall(text)]
    return [float(t) for t in CANDIDATE.findall(path.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def always_cited():
    return [v for name in ALWAYS_CITED for v in numbers_of(REPO / name)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_decimal_has_a_source_file(page, always_cited):
    unsourced = []
    previous = ""
    for block in blocks(page.read_text(encoding="utf-8")):
        cited = [REPO / name for name in CITED.findall(block)]
        if block.lstrip().startswith("|"):  # a table: its paragraph cites for it
            cited += [REPO / name for name in CITED.findall(previous)]
        else:
            previous = block
        values = always_cited + [
            v for path in cited if path.is_file() for v in numbers_of(path)
        ]
        for token in NUMBER.findall(block):
            if not any(shown_as(token, value) for value in values):
                unsourced.append(f"{token} in: {block[:100]!r}")
    assert unsourced == [], "\n".join(unsourced)


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
