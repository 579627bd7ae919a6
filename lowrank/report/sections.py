"""The study page's input sections, and what it says of the inputs left out.

The plan knows an input's name, kind, configured ranks and where its files
are; an image's shape and fitted ranks are known only after its ``prepare``
job (:mod:`lowrank.inputs.cards`), so they are read here from the input's
evaluation rows in the summary. An input without rows was left out: its card
says why.
"""

from pathlib import Path

from lowrank.evaluation.summary import read_csv
from lowrank.inputs.cards import load_card, skip_reason
from lowrank.report.findings import rate_distortion_facts
from lowrank.report.page import InputSection
from lowrank.study import SkippedInputWarning, SkippedRankWarning, skipped_ranks_message


def study_sections(specs, evaluations):
    """(sections, notes) of the inputs ``specs`` (the workflow's
    ``report_sections``) given ``evaluations``, their summary rows keyed by
    (input, member); notes are (category, message) pairs."""
    sections, notes = [], []
    for spec in specs:
        rows = evaluations.get((spec["rows"]["input"], spec["rows"]["member"]))
        if rows is None:
            message = f"left out: {left_out_message(spec)}"
            notes.append((SkippedInputWarning.__name__, message))
            continue
        shape = (int(rows["rows"].iloc[0]), int(rows["cols"].iloc[0]))
        ranks = sorted({int(rank) for rank in rows["rank"]})
        if skipped := sorted(set(spec.get("configured_ranks", ranks)) - set(ranks)):
            message = skipped_ranks_message(spec["name"], shape, skipped)
            notes.append((SkippedRankWarning.__name__, message))
        sections.append(_section(spec, shape, ranks, rows))
    return sections, notes


def left_out_message(spec):
    """Why the input of ``spec`` has no evaluation rows: from an image's card
    (a skipped image's message names its file)."""
    if not spec["card"]:
        return f"{spec['name']}: no evaluation rows"
    card = load_card(spec["card"])
    reason = skip_reason(card, ())
    return reason if "skipped" in card else f"{spec['name']}: {reason}"


def _section(spec, shape, ranks, rows):
    figures = Path(spec["figures"])
    rate_distortion_table = spec["rate_distortion"]
    return InputSection(
        name=spec["name"],
        kind=spec["kind"],
        shape=shape,
        errors_figure=figures / "errors.svg",
        rate_distortion_figure=(
            figures / "rate_distortion.svg" if rate_distortion_table else None
        ),
        rate_distortion_text=(
            rate_distortion_facts(read_csv(rate_distortion_table))
            if rate_distortion_table
            else ""
        ),
        ranks=[
            (
                rank,
                figures / "panels" / f"rank{rank}.png",
                figures / "training" / f"rank{rank}.svg",
            )
            for rank in ranks
        ],
        views=figures / "views",
        evaluation=rows,
    )
