"""BD-rates of every low-rank format and codec against every anchor, per
image and aggregated over the photo set, the set's mean curves and their
figure."""

import sys
from pathlib import Path

import pandas as pd

from lowrank.evaluation.bdrate import aggregate_table, bd_table, set_curves, set_images
from lowrank.evaluation.summary import read_csv
from lowrank.inputs.cards import kept
from lowrank.report.figures import rate_distortion

sys.stderr = open(snakemake.log[0], "w")
tables = [read_csv(path) for path in kept(snakemake.input.tables)]
table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
# A study of matrices alone has no codec rows: empty tables, and a figure
# without curves that the report leaves out.
min_side = snakemake.params.min_side
members = set_images(table, min_side) if not table.empty else []
curves = (
    set_curves(table, min_side)
    if not table.empty
    else pd.DataFrame(columns=["method", "step", "bpp", "psnr", "images", "encoder"])
)
per_image = bd_table(table, snakemake.params.intervals, snakemake.params.rate_range)
per_image.to_csv(snakemake.output.per_image, index=False)
aggregate_table(per_image, members).to_csv(snakemake.output.aggregate, index=False)
curves.to_csv(snakemake.output.curves, index=False)
rate_distortion(
    curves,
    f"mean over {len(members)} images of at least {min_side} pixels a side (PSNR-RGB)",
    Path(snakemake.output.figure),
)
