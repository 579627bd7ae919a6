"""A report_page job: results/report/index.html, with the figures it shows
beside it, from the summary, the tables and the figures.

    python -m lowrank.report.page_job ARGUMENTS_JSON --summary CSV
        --paper-table CSV --paper-comparison CSV --paper-figure PNG
        --bd-rates CSV --bd-rates-per-image CSV --set-curves CSV
        --set-figure SVG --index HTML

ARGUMENTS_JSON holds the report's ``sections``, one per input in the order
the page shows them (:func:`lowrank.report.sections.study_sections`), and
the study's ``notes`` (what the plan left out or ignored); the workflow
writes it as it plans the study (:mod:`lowrank.plan_files`). The program
of the workflow's ``report_page`` rule (see
:mod:`lowrank.decomposition.prepare_job`).
"""

import argparse
from pathlib import Path

from lowrank.evaluation.summary import read_csv, read_table
from lowrank.methods import compared_methods
from lowrank.plan_files import read_arguments
from lowrank.report.page import write_index
from lowrank.report.sections import study_sections

TABLES = ("summary", "paper-table", "paper-comparison", "bd-rates",
          "bd-rates-per-image", "set-curves")  # fmt: skip


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arguments", type=Path, help="sections and notes (JSON)")
    for name in (*TABLES, "paper-figure", "set-figure", "index"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    arguments = read_arguments(args.arguments, ("sections", "notes"))
    summary = read_table(args.summary)
    compared = summary[summary["method"].isin(compared_methods())]
    evaluations = {key: rows for key, rows in compared.groupby(["input", "member"])}
    sections, left_out = study_sections(arguments["sections"], evaluations)
    set_curves = read_csv(args.set_curves)
    write_index(
        args.index,
        summary,
        read_csv(args.paper_table),
        read_csv(args.paper_comparison),
        args.paper_figure,
        sections,
        notes=[tuple(note) for note in arguments["notes"]] + left_out,
        bd_rates=read_csv(args.bd_rates),
        bd_rates_per_image=read_csv(args.bd_rates_per_image),
        set_figure=args.set_figure if not set_curves.empty else None,
        bd_tables=[args.bd_rates, args.bd_rates_per_image],
    )


if __name__ == "__main__":
    main()
