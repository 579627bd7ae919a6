import math

import numpy as np
import pandas as pd
import pytest

from lowrank.evaluation.bdrate import (
    MEAN,
    SET,
    bd_figures,
    bd_quality_in_range,
    bd_table,
    efficient_points,
    set_curves,
)


def curve(method, bpp, psnr, name="img", side=512):
    return pd.DataFrame(
        {
            "input": name, "method": method, "rows": side, "cols": side,
            "rank": np.nan, "quality": np.arange(len(bpp)) * 10.0,
            "bpp": bpp, "psnr": psnr,
        }
    )  # fmt: skip


def test_efficient_points_keep_rising_finite_psnr():
    rates = [0.5, 1.0, 1.0, 2.0, 3.0, 4.0]  # two qualities of one file size
    rows = curve("jpeg", rates, [20.0, 24.0, 25.0, 24.5, math.inf, 30.0])
    bpp, psnr = efficient_points(rows)
    assert bpp.tolist() == [0.5, 1.0, 4.0] and psnr.tolist() == [20.0, 25.0, 30.0]


def test_half_the_bits_at_every_psnr_is_minus_fifty_percent():
    bpp = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    psnr = np.array([22.0, 26.0, 30.0, 33.0, 35.0])
    figures = bd_figures((bpp, psnr), (bpp / 2, psnr))
    assert figures["bd_rate_percent"] == pytest.approx(-50.0, abs=1e-6)
    assert figures["bd_quality"] > 0 and figures["overlap"] == pytest.approx(1.0)
    same = bd_figures((bpp, psnr), (bpp, psnr))
    assert same["bd_rate_percent"] == pytest.approx(0.0, abs=1e-9)
    assert same["note"] == ""


def test_curves_without_common_psnr_get_no_figure_and_a_reason():
    low = (np.array([0.1, 0.2, 0.4]), np.array([10.0, 12.0, 14.0]))
    high = (np.array([1.0, 2.0, 4.0]), np.array([30.0, 32.0, 34.0]))
    figures = bd_figures(low, high)
    assert (
        math.isnan(figures["bd_rate_percent"]) and "no quality range" in figures["note"]
    )
    partial = bd_figures(low, (np.array([0.3, 0.6, 1.0]), np.array([13.0, 20.0, 26.0])))
    assert "read with care" in partial["note"]


def test_overlap_is_the_share_of_the_anchors_range():
    anchor = np.array([0.5, 1.0, 2.0]), np.array([30.0, 35.0, 40.0])
    # The test spans 20-35 dB: half of the anchor's 30-40 dB.
    test = np.array([0.5, 1.0, 4.0]), np.array([20.0, 28.0, 35.0])
    assert bd_figures(anchor, test)["overlap"] == pytest.approx(0.5)


def two_images(sides=(512, 512), svd_costs=(2.0, 4.0)):
    bpp = [0.25, 0.5, 1.0, 2.0]
    psnr = [22.0, 26.0, 30.0, 33.0]
    return pd.concat(
        [
            curve(method, [b * cost for b in bpp], psnr, name, side)
            for name, side, svd_cost in zip("ab", sides, svd_costs)
            for method, cost in (("jpeg", 1.0), ("svd-q8", svd_cost))
        ]
    )


def test_table_has_every_pair_and_the_geometric_mean_over_images():
    result = bd_table(two_images()).set_index(["input", "test", "anchor"])
    assert result.loc[("a", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(100)
    assert result.loc[("b", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(300)
    # Rate ratios 2 and 4: their geometric mean is sqrt(8), not the 3 of the
    # arithmetic mean of the percentages.
    mean = result.loc[(MEAN, "svd-q8", "jpeg")]
    assert mean["bd_rate_percent"] == pytest.approx(100 * (math.sqrt(8) - 1))
    assert (mean["images"], mean["aggregated"]) == (2, "a, b")
    assert mean["overlap"] == pytest.approx(1.0)


def test_an_image_under_the_size_floor_enters_no_aggregate():
    table = two_images(sides=(512, 100))
    result = bd_table(table, min_side=256).set_index(["input", "test", "anchor"])
    for aggregate in (MEAN, SET):
        row = result.loc[(aggregate, "svd-q8", "jpeg")]
        assert row["bd_rate_percent"] == pytest.approx(100)  # image a's alone
        assert (row["images"], row["aggregated"]) == (1, "a")
    assert result.loc[("b", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(300)
    curves = set_curves(table, min_side=256)
    assert curves.query("method == 'jpeg'")["bpp"].tolist() == [0.25, 0.5, 1.0, 2.0]
    below = bd_table(table, min_side=64).set_index(["input", "test", "anchor"])
    assert below.loc[(MEAN, "svd-q8", "jpeg"), "images"] == 2


def test_an_exact_curve_gets_no_figure_and_a_reason():
    exact = efficient_points(curve("svd-q8", [1.0, 2.0], [math.inf, math.inf]))
    figures = bd_figures((np.array([0.5, 1.0]), np.array([30.0, 40.0])), exact)
    assert math.isnan(figures["bd_rate_percent"])
    assert "fewer than two points" in figures["note"]


def test_interpolation_is_the_ctc_sheets_pchip():
    # Four points of two codecs where PCHIP and Akima give different figures:
    # the table must carry PCHIP's, the JCT-VC CTC Excel sheet's method.
    import bjontegaard

    anchor = np.array([0.3, 0.6, 1.2, 2.4]), np.array([28.0, 31.5, 33.0, 37.0])
    test = np.array([0.25, 0.55, 1.0, 2.6]), np.array([27.5, 32.0, 33.2, 38.0])
    pchip = bjontegaard.bd_rate(*anchor, *test, method="pchip")
    akima = bjontegaard.bd_rate(*anchor, *test, method="akima")
    assert abs(pchip - akima) > 1e-3
    assert bd_figures(anchor, test)["bd_rate_percent"] == pytest.approx(pchip)


def test_set_curves_average_each_step_every_image_has():
    table = pd.DataFrame(
        {
            "input": ["a", "a", "b", "b", "a"],
            "rows": 512,
            "cols": 512,
            "method": ["jpeg", "jpeg", "jpeg", "jpeg", "svd-q8"],
            "quality": [10, 90, 10, 90, None],
            "rank": [None, None, None, None, 1],
            "bpp": [0.2, 1.0, 0.4, 2.0, 0.5],
            "psnr": [25.0, 35.0, 27.0, 37.0, 20.0],
        }
    )
    curves = set_curves(table).set_index(["method", "step"])
    assert curves.loc[("jpeg", 10), "bpp"] == pytest.approx(0.3)
    assert curves.loc[("jpeg", 90), "psnr"] == pytest.approx(36.0)
    assert "svd-q8" not in curves.index.get_level_values("method")  # only image a


def test_table_gives_every_measure_and_the_set_curve_with_its_spread():
    bpp = np.array([0.25, 0.5, 1.0, 2.0])
    rows = []
    for name, cost in (("a", 2.0), ("b", 4.0)):
        for method, factor in (("jpeg", 1.0), ("svd-q8", cost)):
            for step, rate in enumerate(bpp * factor):
                codec = method == "jpeg"
                rows.append({
                    "input": name, "method": method, "bpp": rate,
                    "rows": 512, "cols": 512,
                    "quality": step if codec else None,
                    "rank": None if codec else step + 1,
                    "psnr": 22.0 + 4 * step, "ssim": 0.5 + 0.1 * step,
                })  # fmt: skip
    result = bd_table(pd.DataFrame(rows)).set_index(["input", "metric"])
    assert set(result.index.get_level_values("metric")) == {"psnr", "ssim_db"}
    mean = result.loc[(MEAN, "ssim_db")]
    assert mean["bd_rate_percent"] == pytest.approx(100 * (math.sqrt(8) - 1))
    assert (mean["spread_low"], mean["spread_high"]) == pytest.approx((100, 300))
    assert mean["images"] == 2
    # The mean curve of svd-q8 costs 3x the mean jpeg curve's bits.
    assert result.loc[(SET, "psnr"), "bd_rate_percent"] == pytest.approx(200)
    # Handed the set curves it would compute, the table is the same.
    table = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(bd_table(table, set_curves(table)), bd_table(table))


def test_set_curves_leave_out_images_too_small_for_every_measure():
    table = pd.DataFrame(
        {
            "input": ["photo", "photo", "tiny", "tiny"],
            "rows": [512, 512, 200, 200],
            "cols": [512, 512, 200, 200],
            "method": ["jpeg"] * 4,
            "quality": [10, 90, 10, 90],
            "rank": [None] * 4,
            "bpp": [0.2, 1.0, 30.0, 60.0],
            "psnr": [25.0, 35.0, 20.0, 40.0],
            "ms_ssim": [0.9, 0.99, np.nan, np.nan],
        }
    )
    curves = set_curves(table).set_index(["method", "step"])
    assert curves.loc[("jpeg", 10), "bpp"] == pytest.approx(0.2)


def test_ssim_enters_bd_figures_in_decibels():
    rows = curve("jpeg", [0.5, 1.0, 2.0], [20.0, 25.0, 30.0]).assign(
        ssim=[0.9, 0.99, 0.999]
    )
    _, quality = efficient_points(rows, "ssim")
    assert quality == pytest.approx([10.0, 20.0, 30.0])


def test_svd_set_curves_meet_at_rank_fractions_across_sizes():
    # Two images whose SVD curves are the same function of k / min(m, n):
    # their mean curve is that function, whatever ranks each was swept at.
    rows = []
    for name, side, ranks in (
        ("small", 300, [3, 6, 30, 150]),
        ("large", 600, [6, 12, 60, 300]),
    ):
        for rank in ranks:
            fraction = rank / side
            rows.append({
                "input": name, "rows": side, "cols": side + 40, "method": "svd-q8",
                "rank": rank, "quality": np.nan, "bpp": 8 * fraction,
                "psnr": 30 + 10 * np.log10(fraction),
            })  # fmt: skip
    curves = set_curves(pd.DataFrame(rows))
    assert (curves["images"] == 2).all()
    assert curves["step"].min() == pytest.approx(0.01) and curves["step"].max() == 0.5
    assert curves["bpp"].to_numpy() == pytest.approx(8 * curves["step"].to_numpy())
    expected = 30 + 10 * np.log10(curves["step"].to_numpy())
    assert curves["psnr"].to_numpy() == pytest.approx(expected)


def test_bd_quality_in_a_range_wider_than_the_curves_is_bd_quality():
    anchor = (
        np.array([0.2, 0.4, 0.9, 1.7, 3.0]),
        np.array([25.0, 28.0, 31.5, 34.0, 36.0]),
    )
    test = np.array([0.3, 0.7, 1.2, 2.5, 5.0]), np.array([24.0, 27.5, 29.0, 32.0, 35.0])
    wide = bd_quality_in_range(anchor, test, (0.01, 100.0))
    assert wide["bd_quality_in_range"] == pytest.approx(
        bd_figures(anchor, test)["bd_quality"], abs=1e-12
    )
    assert (wide["range_low_bpp"], wide["range_high_bpp"]) == (0.3, 3.0)


def test_bd_quality_in_range_keeps_to_the_stated_rates():
    bpp = np.array([0.1, 0.25, 0.5, 1.0, 2.0, 4.0])
    psnr = np.array([20.0, 24.0, 27.0, 31.0, 33.0, 34.0])
    # Two dB better up to 2 bpp, twelve at 4 bpp: the stated range 0.25-1
    # bpp (whose interpolant reads the points up to 2 bpp) sees the two only.
    better = psnr + np.where(bpp <= 2.0, 2.0, 12.0)
    figures = bd_quality_in_range((bpp, psnr), (bpp, better), (0.25, 1.0))
    assert figures["bd_quality_in_range"] == pytest.approx(2.0, abs=1e-9)
    assert bd_figures((bpp, psnr), (bpp, better))["bd_quality"] > 2.5
    apart = bd_quality_in_range((bpp[:2], psnr[:2]), (bpp[3:], psnr[3:]), (0.25, 1.0))
    assert math.isnan(apart["bd_quality_in_range"])


def test_table_carries_the_stated_range_on_image_and_set_rows():
    result = bd_table(two_images(), rate_range=(0.5, 1.0)).set_index("input")
    image_row = result.loc["a"]
    assert (image_row["range_low_bpp"], image_row["range_high_bpp"]) == (0.5, 1.0)
    assert image_row["bd_quality_in_range"] < 0  # twice the bits: lower quality
    assert not math.isnan(result.loc[SET, "bd_quality_in_range"])
    assert math.isnan(result.loc[MEAN, "bd_quality_in_range"])
