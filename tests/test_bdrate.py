import math

import numpy as np
import pandas as pd
import pytest

from lowrank.evaluation.bdrate import (
    aggregate_table,
    bd_figures,
    bd_quality_in_range,
    bd_rate_over,
    bd_table,
    common_interval,
    efficient_points,
    set_curves,
)

WIDE = (0.0, 100.0)  # an interval that clips to the curves themselves


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
    figures = bd_figures((bpp, psnr), (bpp / 2, psnr), (26.0, 33.0))
    assert figures["bd_rate_percent"] == pytest.approx(-50.0, abs=1e-6)
    assert figures["bd_quality"] > 0 and figures["overlap"] == pytest.approx(1.0)
    same = bd_figures((bpp, psnr), (bpp, psnr), (26.0, 33.0))
    assert same["bd_rate_percent"] == pytest.approx(0.0, abs=1e-9)
    assert same["note"] == ""


def test_curves_without_common_quality_get_no_figure_and_a_reason():
    low = (np.array([0.1, 0.2, 0.4]), np.array([10.0, 12.0, 14.0]))
    high = (np.array([1.0, 2.0, 4.0]), np.array([30.0, 32.0, 34.0]))
    assert common_interval([low, high], WIDE) is None
    figures = bd_figures(low, high, common_interval([low], WIDE))
    assert math.isnan(figures["bd_rate_percent"])
    assert "does not reach" in figures["note"]
    none = bd_figures(low, high, None)
    assert "anchors share no quality" in none["note"]
    partial = (np.array([0.3, 0.6, 1.0]), np.array([13.0, 20.0, 26.0]))
    assert "read with care" in bd_figures(low, partial, (10.0, 14.0))["note"]


def test_overlap_is_the_share_of_the_common_interval():
    anchor = np.array([0.5, 1.0, 2.0]), np.array([30.0, 35.0, 40.0])
    # The test spans 20-35 dB: half of the common 30-40 dB.
    test = np.array([0.5, 1.0, 4.0]), np.array([20.0, 28.0, 35.0])
    figures = bd_figures(anchor, test, common_interval([anchor], WIDE))
    assert figures["overlap"] == pytest.approx(0.5)
    assert (figures["quality_low"], figures["quality_high"]) == (30.0, 35.0)


def test_the_configured_interval_is_clipped_to_every_anchor():
    a = np.array([0.2, 1.0, 4.0]), np.array([25.0, 33.0, 41.0])
    b = np.array([0.3, 1.0, 3.0]), np.array([28.0, 34.0, 38.0])
    assert common_interval([a, b], (30.0, 40.0)) == (30.0, 38.0)
    assert common_interval([a, b], (20.0, 50.0)) == (28.0, 38.0)
    assert common_interval([a, b], (39.0, 45.0)) is None


def two_images(sides=(512, 512), svd_costs=(2.0, 4.0)):
    bpp = [0.25, 0.5, 1.0, 2.0]
    psnr = [22.0, 26.0, 30.0, 33.0]
    return pd.concat(
        [
            curve(method, [b * cost for b in bpp], psnr, name, side).assign(
                encoder=f"{method}lib 1.2"
            )
            for name, side, svd_cost in zip("ab", sides, svd_costs)
            for method, cost in (("jpeg", 1.0), ("svd-q8", svd_cost))
        ]
    )


def aggregated(table, min_side=256, **options):
    from lowrank.evaluation.bdrate import set_images

    per_image = bd_table(table, **options)
    return per_image, aggregate_table(per_image, set_images(table, min_side))


def test_table_has_every_pair_and_the_geometric_mean_over_images():
    per_image, aggregate = aggregated(two_images(), intervals={"psnr": WIDE})
    result = per_image.set_index(["input", "test", "anchor"])
    assert result.loc[("a", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(100)
    assert result.loc[("b", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(300)
    # Rate ratios 2 and 4: their geometric mean is sqrt(8), not the 3 of the
    # arithmetic mean of the percentages; their median is sqrt(8) as well.
    mean = aggregate.set_index(["test", "anchor"]).loc[("svd-q8", "jpeg")]
    assert mean["geometric_mean_percent"] == pytest.approx(100 * (math.sqrt(8) - 1))
    assert mean["median_percent"] == pytest.approx(100 * (math.sqrt(8) - 1))
    # Two images, each drawn or not: the interval runs from one to the other.
    assert (mean["geometric_mean_low"], mean["geometric_mean_high"]) == pytest.approx(
        (100, 300)
    )
    assert (mean["images"], mean["aggregated"]) == (2, "a, b")
    assert mean["least_overlap"] == pytest.approx(1.0) and mean["note"] == ""


def test_every_row_names_both_encoders():
    per_image, aggregate = aggregated(two_images())
    for frame in (per_image, aggregate):
        pair = frame[(frame["test"] == "svd-q8") & (frame["anchor"] == "jpeg")]
        assert (pair["test_encoder"] == "svd-q8lib 1.2").all()
        assert (pair["anchor_encoder"] == "jpeglib 1.2").all()
    assert set(set_curves(two_images())["encoder"]) == {"svd-q8lib 1.2", "jpeglib 1.2"}


def test_every_anchor_is_weighed_over_one_interval_per_image():
    bpp = np.array([0.2, 0.5, 1.0, 2.0, 4.0])
    rows = [
        curve(method, bpp * cost, np.array([24.0, 28.0, 32.0, 36.0, 40.0]) + shift)
        for method, cost, shift in (
            ("jpeg", 1.0, 0.0), ("webp", 0.8, 3.0), ("jxl", 0.7, -2.0),
            ("svd-q8", 3.0, 0.0),
        )
    ]  # fmt: skip
    per_image = bd_table(pd.concat(rows), intervals={"psnr": (20.0, 45.0)})
    svd = per_image[per_image["test"] == "svd-q8"]
    assert set(svd["anchor"]) >= {"jpeg", "webp", "jxl"}
    # jpeg reaches 24-40 dB, webp 27-43, jxl 22-38: every anchor over 27-38.
    assert set(zip(svd["quality_low"], svd["quality_high"])) == {(27.0, 38.0)}
    jpeg = svd.set_index("anchor").loc["jpeg", "bd_rate_percent"]
    assert jpeg == pytest.approx(200.0)
    anchors = per_image[per_image["test"].isin(["webp", "jxl"])]
    assert set(zip(anchors["quality_low"], anchors["quality_high"])) == {(27.0, 38.0)}


def test_an_aggregate_row_keeps_the_low_overlap_warning_and_its_images():
    table = two_images()
    # Image b's svd-q8 curve stops at 26 dB: half of the interval 22-30 dB.
    short = (
        (table["input"] == "b") & (table["method"] == "svd-q8") & (table["psnr"] > 26)
    )
    per_image, aggregate = aggregated(table[~short], intervals={"psnr": (22.0, 30.0)})
    row = aggregate.set_index(["test", "anchor"]).loc[("svd-q8", "jpeg")]
    assert row["least_overlap"] == pytest.approx(0.5)
    assert "b (50%)" in row["note"] and "read with care" in row["note"]
    image_row = per_image.set_index(["input", "test", "anchor"]).loc[
        ("b", "svd-q8", "jpeg")
    ]
    assert "read with care" in image_row["note"]


RATES = np.array([0.25, 0.5, 1.0, 2.0])


def test_the_bootstrap_interval_holds_the_mean_and_is_repeatable():
    images = pd.concat(
        [
            curve(method, RATES * cost, [22.0, 26.0, 30.0, 33.0], name)
            for name, svd_cost in zip("abcdefg", (2.0, 2.5, 3.0, 3.5, 4.0, 6.0, 9.0))
            for method, cost in (("jpeg", 1.0), ("svd-q8", svd_cost))
        ]
    )  # fmt: skip
    _, first = aggregated(images, intervals={"psnr": WIDE})
    _, again = aggregated(images, intervals={"psnr": WIDE})
    pd.testing.assert_frame_equal(first, again)
    row = first.set_index(["test", "anchor"]).loc[("svd-q8", "jpeg")]
    assert row["geometric_mean_low"] < row["geometric_mean_percent"]
    assert row["geometric_mean_percent"] < row["geometric_mean_high"]
    assert 100 < row["geometric_mean_low"] and row["geometric_mean_high"] < 800
    assert row["median_percent"] == pytest.approx(250.0)


def test_an_image_under_the_size_floor_enters_no_aggregate():
    table = two_images(sides=(512, 100))
    per_image, aggregate = aggregated(table, min_side=256, intervals={"psnr": WIDE})
    row = aggregate.set_index(["test", "anchor"]).loc[("svd-q8", "jpeg")]
    assert row["geometric_mean_percent"] == pytest.approx(100)  # image a's alone
    assert (row["images"], row["aggregated"]) == (1, "a")
    result = per_image.set_index(["input", "test", "anchor"])
    assert result.loc[("b", "svd-q8", "jpeg"), "bd_rate_percent"] == pytest.approx(300)
    curves = set_curves(table, min_side=256)
    assert curves.query("method == 'jpeg'")["bpp"].tolist() == [0.25, 0.5, 1.0, 2.0]
    _, below = aggregated(table, min_side=64)
    assert below.set_index(["test", "anchor"]).loc[("svd-q8", "jpeg"), "images"] == 2


def test_an_exact_curve_gets_no_figure_and_a_reason():
    exact = efficient_points(curve("svd-q8", [1.0, 2.0], [math.inf, math.inf]))
    anchor = np.array([0.5, 1.0]), np.array([30.0, 40.0])
    figures = bd_figures(anchor, exact, (30.0, 40.0))
    assert math.isnan(figures["bd_rate_percent"])
    assert "fewer than two points" in figures["note"]


def test_interpolation_is_the_ctc_sheets_pchip():
    # Four points of two codecs where PCHIP and Akima give different figures:
    # over the curves' own overlap the table carries PCHIP's, the JCT-VC CTC
    # Excel sheet's method, as the bjontegaard package computes it.
    import bjontegaard

    anchor = np.array([0.3, 0.6, 1.2, 2.4]), np.array([28.0, 31.5, 33.0, 37.0])
    test = np.array([0.25, 0.55, 1.0, 2.6]), np.array([27.5, 32.0, 33.2, 38.0])
    pchip = bjontegaard.bd_rate(*anchor, *test, method="pchip")
    akima = bjontegaard.bd_rate(*anchor, *test, method="akima")
    assert abs(pchip - akima) > 1e-3
    assert bd_rate_over(anchor, test, (28.0, 37.0)) == pytest.approx(pchip, rel=1e-12)
    interval = common_interval([anchor], WIDE)
    assert bd_figures(anchor, test, interval)["bd_rate_percent"] == pytest.approx(
        pchip, rel=1e-12
    )


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


def test_table_gives_every_measure_and_its_mean():
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
    intervals = {"psnr": WIDE, "ssim_db": WIDE}
    _, aggregate = aggregated(pd.DataFrame(rows), intervals=intervals)
    assert set(aggregate["metric"]) == {"psnr", "ssim_db"}
    mean = aggregate.set_index("metric").loc["ssim_db"]
    assert mean["geometric_mean_percent"] == pytest.approx(100 * (math.sqrt(8) - 1))
    assert mean["images"] == 2


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
        bd_figures(anchor, test, WIDE)["bd_quality"], abs=1e-12
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
    assert bd_figures((bpp, psnr), (bpp, better), WIDE)["bd_quality"] > 2.5
    apart = bd_quality_in_range((bpp[:2], psnr[:2]), (bpp[3:], psnr[3:]), (0.25, 1.0))
    assert math.isnan(apart["bd_quality_in_range"])


def test_table_carries_the_stated_rate_range():
    result = bd_table(two_images(), rate_range=(0.5, 1.0)).set_index("input")
    image_row = result.loc["a"]
    assert (image_row["range_low_bpp"], image_row["range_high_bpp"]) == (0.5, 1.0)
    assert image_row["bd_quality_in_range"] < 0  # twice the bits: lower quality
