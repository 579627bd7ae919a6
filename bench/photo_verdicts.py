"""The photo study's verdicts as the README quotes them: per measure, how
many times JPEG's bits and the strongest anchor's each low-rank coder needs,
rounded to what its bootstrap interval supports (lowrank.report.verdicts),
and the anchors ranked against JPEG.

    python bench/photo_verdicts.py RESULTS > bench/photo_verdicts_COMMIT.md

RESULTS is a finished `--configfile config/codecs.yaml` study's results
folder; the figures come from its rate_distortion/bd_rates_aggregate.csv.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from lowrank.report.verdicts import MEASURES, REFERENCE, anchor_strengths, verdict

CODERS = ("klt", "svd-ec", "svd-ycc", "svd-q8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    aggregate = pd.read_csv(args.results / "rate_distortion" / "bd_rates_aggregate.csv")
    images = aggregate.loc[aggregate["images"].idxmax(), "aggregated"]
    print(f"# The photo study's verdicts (`{' '.join(sys.argv)}`)\n")
    print(f"Geometric means over the photos ({images}), 95 % bootstrap intervals.\n")
    print("## Bits against an anchor at equal quality (x the anchor's)\n")
    print("| measure | coder | anchor | ratio | low | high | images |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for metric, label in MEASURES.items():
        strongest = anchor_strengths(aggregate, metric)[0][0]
        for coder in CODERS:
            for anchor in dict.fromkeys([REFERENCE, strongest]):
                found = verdict(aggregate, coder, anchor, metric)
                if found:
                    print(
                        f"| {label} | {coder} | {anchor} | {found.ratio} | "
                        f"{found.low} | {found.high} | {found.images} |"
                    )
    print("\n## The anchors against JPEG (BD-rate %, strongest first)\n")
    print("| measure | anchor | percent | low | high |")
    print("| --- | --- | ---: | ---: | ---: |")
    rows = aggregate[aggregate["anchor"] == REFERENCE].set_index(["metric", "test"])
    for metric, label in MEASURES.items():
        for anchor, _ in anchor_strengths(aggregate, metric):
            if anchor != REFERENCE:
                row = rows.loc[(metric, anchor)]
                print(
                    f"| {label} | {anchor} | {row['geometric_mean_percent']:.1f} | "
                    f"{row['geometric_mean_low']:.1f} | "
                    f"{row['geometric_mean_high']:.1f} |"
                )


if __name__ == "__main__":
    main()
