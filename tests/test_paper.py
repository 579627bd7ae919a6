import numpy as np
import pandas as pd
import pytest

from lowrank.report.paper import comparison_table, published_gaps, published_values


def test_published_values_name_their_source():
    values = published_values()
    assert values["source"].notna().all()
    gaps = published_gaps()
    random10 = gaps[gaps["experiment"] == "random10"]
    assert random10["rank"].tolist() == list(range(1, 10))
    assert random10["value"].iloc[-1] == pytest.approx(0.155)
    diag = values[
        (values["experiment"] == "diag50") & (values["quantity"] == "svd_rel_err_2")
    ]
    # 29/49 is the rank-20 error of diag(0..49), not of diag(1..50) (30/50).
    assert diag["value"].iloc[0] == pytest.approx(29 / 49)


def rows(experiment, method, rank, deltas, **extra):
    return [
        {"input": experiment, "member": member, "rank": rank, "method": method,
         "delta_rel_err_2": delta, "rel_err_2": 0.5 + delta, "psnr": np.nan, **extra}
        for member, delta in enumerate(deltas)
    ]  # fmt: skip


def test_comparison_puts_the_study_beside_the_paper():
    summary = pd.DataFrame(
        rows("random10", "nn-paper", 3, [0.06, 0.10])
        + rows("random10", "nn-exact", 3, [1e-15, -3e-15])
        + rows("random10", "svd", 3, [0.0, 0.0])
        + rows("random10", "nn-paper", 4, [0.01, 0.02])  # published, not asked
        + rows("photo400", "nn-paper", 1, [0.002], psnr=30.0)
        + rows("photo400", "svd", 1, [0.0], psnr=31.0)
        + rows("elsewhere", "nn-paper", 3, [0.5])
    )
    table = comparison_table(summary, published_gaps()).set_index(
        ["experiment", "rank"]
    )
    assert sorted(table.index) == [("photo400", 1), ("random10", 3), ("random10", 4)]
    random = table.loc[("random10", 3)]
    assert random["published_abs_delta"] == pytest.approx(0.0773)
    assert random["paper_abs_delta_mean"] == pytest.approx(0.08)
    assert random["paper_abs_delta_sd"] == pytest.approx(0.02)
    assert random["exact_abs_delta_max"] == pytest.approx(3e-15)
    assert random["members"] == 2 and random["source"] == "Fig. 10"
    photo = table.loc[("photo400", 1)]
    assert photo["published_abs_delta"] == pytest.approx(0.0013)
    assert (photo["svd_psnr"], photo["paper_psnr"]) == (31.0, 30.0)
