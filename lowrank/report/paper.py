"""The numbers Bleckel's paper reports, as data, and our runs beside them.

Every value comes with the figure or section it is read from
(``lowrank/data/bleckel_published.csv``). Experiments are named as the
study inputs (or matrix sets) that reproduce them in ``config/paper.yaml``:
``random10``, ``symmetric10``, ``identity50``, ``diag50``, ``photo400``,
``logo256`` and ``colour_wheel``.
"""

from importlib.resources import files

import pandas as pd

from lowrank.methods import is_network
from lowrank.training.regimes import network_method

PUBLISHED_CSV = files("lowrank") / "data" / "bleckel_published.csv"


def published_values(path=PUBLISHED_CSV):
    """Every reported number: experiment, rank, quantity, value, source, note.

    ``quantity`` is ``mean_abs_delta`` (mean over a set of |NN - SVD| of the
    relative 2-norm error), ``abs_delta``, ``nn_rel_err_2`` or
    ``svd_rel_err_2``; ``value`` is empty where the paper gives no number.
    """
    with path.open() as handle:
        return pd.read_csv(handle)


def published_gaps(path=PUBLISHED_CSV):
    """The |delta| the paper reports per experiment and rank (mean over the
    set for Figures 10 and 12), as columns experiment, rank, value, source."""
    values = published_values(path)
    gaps = values[values["quantity"].isin(["mean_abs_delta", "abs_delta"])]
    return gaps[["experiment", "rank", "value", "source"]].reset_index(drop=True)


def comparison_table(summary, published):
    """Each published gap beside the study's, for the experiments the study ran.

    ``summary`` is the study summary; an experiment is matched by its name
    in the ``input`` column (the matrix set or image stem). One row per
    experiment and rank: the published |delta|, the mean and standard
    deviation over the set's members of |delta| of ``nn-paper``, the largest
    |delta| of ``nn-exact``, and the mean relative 2-norm errors (and, for
    images, PSNRs) of the SVD and ``nn-paper``. ``published`` is
    :func:`published_gaps`.
    """
    rows = []
    for gap in published.itertuples(index=False):
        found = summary[
            (summary["input"] == gap.experiment) & (summary["rank"] == gap.rank)
        ]
        if found.empty:
            continue
        by_method = {method: group for method, group in found.groupby("method")}
        paper = by_method.get(network_method("paper"), found.iloc[:0])
        exact = by_method.get(network_method("exact"), found.iloc[:0])
        svd = by_method.get("svd", found.iloc[:0])
        rows.append(
            {
                "experiment": gap.experiment,
                "source": gap.source,
                "rank": gap.rank,
                "members": found["member"].nunique(),
                "published_abs_delta": gap.value,
                "paper_abs_delta_mean": paper["delta_rel_err_2"].abs().mean(),
                "paper_abs_delta_sd": paper["delta_rel_err_2"].abs().std(ddof=0),
                "exact_abs_delta_max": exact["delta_rel_err_2"].abs().max(),
                "svd_rel_err_2": svd["rel_err_2"].mean(),
                "paper_rel_err_2": paper["rel_err_2"].mean(),
                "svd_psnr": svd["psnr"].mean(),
                "paper_psnr": paper["psnr"].mean(),
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


COMPARISON_COLUMNS = [
    "experiment", "source", "rank", "members", "published_abs_delta",
    "paper_abs_delta_mean", "paper_abs_delta_sd", "exact_abs_delta_max",
    "svd_rel_err_2", "paper_rel_err_2", "svd_psnr", "paper_psnr",
]  # fmt: skip


def paper_gap_table(summary):
    """Mean, spread and max |delta rel. 2-norm error| per matrix set, rank and
    regime.

    Only sets with more than one member (the paper's random matrices) count.
    """
    trained = summary[summary["method"].map(is_network)].copy()
    sizes = summary.groupby("input")["member"].nunique()
    trained = trained[trained["input"].map(sizes) > 1]
    trained["abs_delta"] = trained["delta_rel_err_2"].abs()
    grouped = trained.groupby(["input", "kind", "method", "rank"])["abs_delta"]
    table = grouped.agg(
        mean_abs_delta="mean",
        sd_abs_delta=lambda d: d.std(ddof=0),
        max_abs_delta="max",
        members="count",
    )
    return table.reset_index()
