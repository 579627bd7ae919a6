"""A paper_tables job: the paper's tables (mean |delta| per rank over each
random matrix set) and every published number beside the study's.

    python -m lowrank.report.paper_tables_job SUMMARY PUBLISHED --table CSV
        --comparison CSV --png PNG --svg SVG

The figure is drawn once and saved in both formats, so PNG and SVG differ
only in their suffix. The program of the
workflow's ``paper_tables`` rule (see :mod:`lowrank.decomposition.prepare_job`).
"""

import argparse
from pathlib import Path

from lowrank.evaluation.summary import read_table
from lowrank.report.paper import comparison_table, paper_gap_table, published_gaps
from lowrank.report.paper_figure import paper_gap


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", help="the study's summary (CSV)")
    parser.add_argument("published", type=Path, help="the paper's numbers (CSV)")
    parser.add_argument("--table", required=True)
    parser.add_argument("--comparison", required=True)
    parser.add_argument("--png", required=True)
    parser.add_argument("--svg", required=True)
    args = parser.parse_args(argv)
    stem = args.png.removesuffix(".png")
    if args.svg != f"{stem}.svg":
        parser.error(f"--svg must be {stem}.svg, beside --png {args.png}")
    summary = read_table(args.summary)
    published = published_gaps(args.published)
    table = paper_gap_table(summary)
    table.to_csv(args.table, index=False)
    comparison_table(summary, published).to_csv(args.comparison, index=False)
    paper_gap(table, published, stem)


if __name__ == "__main__":
    main()
