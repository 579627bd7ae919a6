"""A bd_rates job: BD-rates of every low-rank format and codec against every
anchor, per image and aggregated over the image set, the set's mean curves
and their figure.

    python -m lowrank.evaluation.bd_rates_job FILES_JSON --min-side N
        --rate-range JSON --intervals JSON --per-image CSV --aggregate CSV
        --curves CSV --figure SVG

FILES_JSON lists the images' ``rate_distortion`` tables (the workflow writes
it as it plans the study: :mod:`lowrank.plan_files`). The program of the
workflow's ``bd_rates`` rule (see :mod:`lowrank.decomposition.prepare_job`).
"""

import argparse
import json
from pathlib import Path

import pandas as pd

from lowrank.evaluation.bdrate import aggregate_table, bd_table, set_curves, set_images
from lowrank.evaluation.summary import read_csv
from lowrank.inputs.cards import kept
from lowrank.plan_files import read_arguments
from lowrank.report.figures import rate_distortion

CURVE_COLUMNS = ["method", "step", "bpp", "psnr", "images", "encoder"]


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, help="the tables to weigh (JSON)")
    parser.add_argument("--min-side", type=int, required=True,
                        help="pixels a side an image needs in the set")  # fmt: skip
    parser.add_argument("--rate-range", type=json.loads, required=True)
    parser.add_argument("--intervals", type=json.loads, required=True)
    for output in ("per-image", "aggregate", "curves", "figure"):
        parser.add_argument(f"--{output}", required=True)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    files = read_arguments(args.files, ("rate_distortion",))
    tables = [read_csv(path) for path in kept(files["rate_distortion"])]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    # A study of matrices alone has no codec rows: empty tables, and a figure
    # without curves that the report leaves out.
    members = set_images(table, args.min_side) if not table.empty else []
    curves = (
        set_curves(table, args.min_side)
        if not table.empty
        else pd.DataFrame(columns=CURVE_COLUMNS)
    )
    per_image = bd_table(table, args.intervals, args.rate_range)
    per_image.to_csv(args.per_image, index=False)
    aggregate_table(per_image, members).to_csv(args.aggregate, index=False)
    curves.to_csv(args.curves, index=False)
    rate_distortion(
        curves,
        f"mean over {len(members)} images of at least {args.min_side} pixels"
        " a side (PSNR-RGB)",
        Path(args.figure),
    )


if __name__ == "__main__":
    main()
