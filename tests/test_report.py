import json
import re
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from chromium import headless_chromium
from PIL import Image

from lowrank.decomposition.svd import thin_svd
from lowrank.records import InputMatrix, Record
from lowrank.report import charts, figures, paper_figure, pictures
from lowrank.report.findings import rate_distortion_facts
from lowrank.report.page import InputSection, published, write_index
from lowrank.report.paper import paper_gap_table


def make_records(matrix, rank):
    d = thin_svd(matrix[0])
    records = {}
    for method in ("svd", "nn-exact"):
        loss = np.zeros((1, 0)) if method == "svd" else np.array([[0.5, 0.1, 0.05]])
        records[method] = Record(
            approximation=d.truncate(rank)[np.newaxis],
            input="m",
            rank=rank,
            method=method,
            loss=loss,
            steps=loss.shape[1],
        )
    return records, [d]


def test_pictures_are_png_and_line_charts_svg(tmp_path):
    matrix = np.random.default_rng(0).uniform(size=(1, 6, 5))
    item = InputMatrix(matrix, "m", "uniform", "{}", "m")
    records, decompositions = make_records(matrix, 2)
    measures = pd.DataFrame(
        {"rel_err_2": [0.1, 0.2], "rel_err_fro": [0.2, 0.3]}, index=["svd", "nn-exact"]
    )
    panels = pictures.approximation_panels(
        item, records, measures, tmp_path / "panels.png"
    )[0]
    # Three tiles, the 6x5 matrix enlarged by whole pixels to 256 rows.
    assert Image.open(panels).size == (3 * pictures.COLUMN_WIDTH, 40 + 252 + 10)
    training = figures.training_curves(
        records, decompositions, 2, tmp_path / "training.svg"
    )[0]
    table = pd.DataFrame(
        [{"method": "svd", "rank": 2, "rel_err_2": 0.1, "rel_err_fro": 0.2}]
    )
    errors = figures.error_versus_rank(table, decompositions, tmp_path / "e.svg")[0]
    texts = [_svg_texts(training), _svg_texts(errors)]
    assert "nn-exact, rank 2: dashed = best rank-j loss" in texts[0]
    assert {"j=1", "nn-exact loss", "relative squared Frobenius error"} <= texts[0]
    assert {"spectrum", "svd (every rank)", "relative 2-norm error"} <= texts[1]


def test_a_long_training_curve_is_thinned_to_its_plateaus_and_last_point():
    steps = np.arange(1, 10_001)
    loss = np.where(steps < 5000, 1.0, 0.5)
    thin_steps, thin_loss = figures._thinned(steps, loss)
    assert thin_steps.size <= figures.CURVE_POINTS + 1
    assert thin_steps[-1] == 10_000 and set(thin_loss) == {1.0, 0.5}


def _svg_texts(path):
    """The text elements of an SVG file, which must parse as XML."""
    root = ElementTree.parse(path).getroot()
    return {e.text for e in root.iter("{http://www.w3.org/2000/svg}text")}


def test_a_chart_escapes_its_text_and_skips_what_its_axes_cannot_show(tmp_path):
    panel = charts.Panel(
        title='a <b> & "$x$"', xlabel="x", ylabel="y", ylog=True,
        series=[charts.Series([1, 2, 3, 4], [1e-5, 0.0, np.nan, 40], "#000", "l")],
    )  # fmt: skip
    path = charts.write_chart([panel], tmp_path / "c.svg")[0]
    assert 'a <b> & "$x$"' in _svg_texts(path)
    polyline = (
        ElementTree.parse(path)
        .getroot()
        .find(".//{http://www.w3.org/2000/svg}polyline")
    )
    assert len(polyline.get("points").split()) == 2  # zero and NaN left out


@pytest.mark.parametrize(
    "low, high, expected",
    [(1e-5, 40.0, [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0]),
     (0.3, 4.0, [0.5, 1.0, 2.0]), (0.6, 0.9, [0.6, 0.9]),
     (1e-30, 1.0, [1e-30, 1e-26, 1e-22, 1e-18, 1e-14, 1e-10, 1e-6, 1e-2])],
)  # fmt: skip
def test_log_ticks_are_decades_or_one_two_five(low, high, expected):
    assert charts._log_ticks(low, high) == pytest.approx(expected)


def test_viridis_is_matplotlibs():
    from matplotlib import colormaps

    levels = np.linspace(0.0, 1.0, 1001)
    expected = np.round(255 * colormaps["viridis"](levels)[:, :3]).astype(np.uint8)
    shown = pictures.view_pixels(levels[np.newaxis, np.newaxis], "uniform", 0.0, 1.0)
    np.testing.assert_array_equal(shown[0], expected)


def test_viewer_pictures_are_the_matrices_pixel_for_pixel(tmp_path):
    gray = np.random.default_rng(1).uniform(size=(1, 6, 5))
    item = InputMatrix(gray, "g", "image", "g.png", "g")
    records, _ = make_records(gray, 2)
    records["nn-exact"].approximation = np.full_like(gray, np.nan)  # diverged
    written = pictures.original_view(item, tmp_path / "views")
    written += pictures.approximation_views(item, records, tmp_path / "views")
    assert [p.name for p in written] == [
        "original.png",
        "svd-rank2.png",
        "nn-exact-rank2.png",
    ]
    original = np.asarray(Image.open(written[0]))
    np.testing.assert_array_equal(original, np.round(255 * gray[0]).astype(np.uint8))
    assert not np.asarray(Image.open(written[2])).any()
    matrix = InputMatrix(gray * 7 - 3, "m", "uniform", "{}", "m")
    coloured = pictures.original_view(matrix, tmp_path / "m")[0]
    assert np.asarray(Image.open(coloured)).shape == (6, 5, 3)


def test_a_ycbcr_image_is_shown_in_rgb(tmp_path):
    from lowrank.colour import rgb_to_ycbcr

    rgb = np.random.default_rng(2).uniform(size=(3, 6, 5))
    shown = {}
    for mode, stack in (("rgb", rgb), ("ycbcr", rgb_to_ycbcr(rgb))):
        item = InputMatrix(stack, "c", "image", "c.png", "c", mode=mode)
        (path,) = pictures.original_view(item, tmp_path / mode)
        shown[mode] = np.asarray(Image.open(path))
    assert shown["rgb"].shape == (6, 5, 3)
    np.testing.assert_array_equal(shown["ycbcr"], shown["rgb"])


def test_singular_levels_match_the_losses_of_each_regime():
    d = thin_svd(np.diag([3.0, 2.0, 1.0]))
    np.testing.assert_allclose(
        figures.singular_levels(d, 2, "relative_frobenius"), [5 / 14, 1 / 14]
    )
    np.testing.assert_allclose(figures.singular_levels(d, 2, "mse"), [5 / 3, 1 / 3])
    a = np.random.default_rng(0).uniform(size=(4, 3))
    mu, var = 0.5, 1 / 12
    second_moment = var * np.eye(3) + mu**2 * np.ones((3, 3))
    root = np.linalg.cholesky(second_moment)  # any R with R R^T = M
    expected = np.linalg.svd(a @ root, compute_uv=False)
    np.testing.assert_allclose(
        figures.singular_levels(thin_svd(a), 1, "mse", (mu, var)),
        [(expected[1] ** 2 + expected[2] ** 2) / 4],
    )


def test_paper_gap_table_uses_sets_only():
    summary = pd.DataFrame(
        [
            {"input": "r", "member": m, "kind": "uniform", "method": "nn-paper",
             "rank": 2, "delta_rel_err_2": d}
            for m, d in ((0, 0.1), (1, -0.3))
        ]
        + [{"input": "one", "member": 0, "kind": "diag", "method": "nn-paper",
            "rank": 2, "delta_rel_err_2": 0.5}]
    )  # fmt: skip
    table = paper_gap_table(summary)
    assert table.to_dict("records") == [
        {"input": "r", "kind": "uniform", "method": "nn-paper", "rank": 2,
         "mean_abs_delta": 0.2, "sd_abs_delta": pytest.approx(0.1),
         "max_abs_delta": 0.3, "members": 2}
    ]  # fmt: skip


def test_rate_distortion_facts_are_computed_from_the_table():
    table = pd.DataFrame(
        [
            {"method": "jpeg", "rank": None, "quality": 5, "bpp": 0.2, "psnr": 26.0},
            {"method": "jpeg", "rank": None, "quality": 50, "bpp": 1.2, "psnr": 34.0},
            {
                "method": "svd-f32",
                "rank": 40,
                "quality": None,
                "bpp": 4.0,
                "psnr": 26.2,
            },
            {"method": "svd-q8", "rank": 10, "quality": None, "bpp": 0.3, "psnr": 19.5},
            {"method": "svd-q8", "rank": 40, "quality": None, "bpp": 1.0, "psnr": 26.1},
        ]
    )
    text = rate_distortion_facts(table)
    assert "quality 5 reaches 26.0 dB at 0.2 bits" in text
    assert "need 1 bpp (rank 40)" in text
    assert "8-bit factors at most 0.1 dB" in text
    assert "At 1 bpp, 8-bit SVD factors (rank 40) give 26.1 dB" in text
    assert "JPEG about 32.4 dB" in text


def test_index_links_figures_it_holds_beside_it(tmp_path):
    figure = tmp_path / "figures" / "a b" / "errors.svg"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"png")
    summary = pd.DataFrame(
        [{c: 0 for c in ("member", "rank", "rel_err_2", "delta_rel_err_2",
                         "rel_err_fro", "psnr", "ssim", "compression_ratio",
                         "train_seconds", "steps")}
         | {"input": "a b", "method": "svd", "status": "ok", "message": ""},
         {c: 0 for c in ("member", "rel_err_2", "delta_rel_err_2", "rel_err_fro",
                         "psnr", "ssim", "compression_ratio", "train_seconds",
                         "steps")}
         | {"input": "a b", "method": "nn-paper", "rank": 3, "status": "diverged",
            "message": "the loss became nan"}]
    )  # fmt: skip
    page = tmp_path / "report" / "index.html"
    summary.loc[0, "rank"] = 3
    summary.loc[1, ["rel_err_2", "rel_err_fro", "psnr"]] = np.nan  # diverged
    views, training = figure.with_name("views"), figure.with_name("training")
    section = InputSection(
        "a b", "image", (4, 5), figure,
        ranks=[(3, figure.with_name("panels") / "rank3.png", training / "rank3.svg")],
        views=views, evaluation=summary,
    )  # fmt: skip
    comparison = pd.DataFrame(
        [{"experiment": "a b", "rank": 1, "published_abs_delta": 0.0013}]
    )
    notes = [("SkippedInputWarning", "skipped: empty.jpg: the file is empty")]
    write_index(page, summary, pd.DataFrame(), comparison, figure, [section], notes)
    text = page.read_text()
    # Findings first: what was found comes before every table.
    assert text.index('id="findings"') < text.index("<table")
    findings = text[text.index('id="findings"') : text.index('id="problems"')]
    assert "1 approximation did not finish ok" in findings and "1 diverged" in findings
    problems = text[text.index('id="problems"') : text.index('id="overview"')]
    assert "1 of 2 rows" in problems and "the loss became nan" in problems
    assert "empty.jpg: the file is empty" in problems
    assert 'src="figures/a%20b/errors.svg"' in text
    # The page's folder holds what it shows: it opens, moves and is embedded whole.
    assert (page.parent / "figures" / "a b" / "errors.svg").read_bytes() == b"png"
    assert 'id="input-a-b"' in text
    viewer = json.loads(
        re.search(r'<script type="application/json">(.*?)</script>', text).group(1)
    )
    assert viewer["ranks"] == [3] and viewer["methods"] == ["svd", "nn-paper"]
    assert viewer["images"]["nn-paper"] == ["figures/a%20b/views/nn-paper-rank3.png"]
    assert viewer["captions"]["nn-paper"] == ["nn-paper, rank 3: diverged"]
    assert viewer["captions"]["svd"][0].startswith("svd, rank 3: 2-norm 0,")
    glance = text[text.index('id="glance"') : text.index('id="problems"')]
    assert 'src="figures/a%20b/views/original.png"' in glance
    assert "nn-paper rank 3 diverged" in glance
    paper = text[text.index('id="paper"') :]
    assert "0.0013" in paper and "a b: the paper" in paper


@pytest.mark.parametrize(
    "scale", [{"value": "log"}, {"value": "symlog", "linthresh": 1e-6}]
)
def test_log_axes_are_labelled_in_plain_text(tmp_path, scale):
    """Mathtext is off (file names in titles may hold "$"), so log ticks
    must not be mathtext either: they would show their markup."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    axis.plot([1, 2, 3], [1e-5, 0.03, 40])
    axis.set_yscale(**scale)
    paper_figure.save(figure, tmp_path / "log", formats=(".png",))
    labels = [t.get_text() for t in axis.get_yticklabels(which="both")]
    assert any(labels) and not any("$" in label or "math" in label for label in labels)


def photo_set(names="abcde", costs=(2.8, 3.0, 3.1, 3.3, 3.6)):
    """Rate-distortion rows of a photo set: JPEG, AVIF at 0.7 of JPEG's bits
    and svd-q8 at ``costs`` times JPEG's."""
    bpp = np.array([0.25, 0.5, 1.0, 2.0])
    return pd.DataFrame(
        [
            {"input": name, "rows": 512, "cols": 512, "method": method,
             "bpp": rate, "psnr": 26.0 + 4 * step, "encoder": f"{method} 1.0",
             "quality": step if method != "svd-q8" else None,
             "rank": None if method != "svd-q8" else step + 1}
            for name, cost in zip(names, costs)
            for method, factor in (("jpeg", 1.0), ("avif", 0.7), ("svd-q8", cost))
            for step, rate in enumerate(bpp * factor)
        ]
    )  # fmt: skip


def written_page(tmp_path, table):
    from lowrank.evaluation.bdrate import aggregate_table, bd_table, set_images

    per_image = bd_table(table)
    aggregate = aggregate_table(per_image, set_images(table))
    figure = tmp_path / "figures" / "rate_distortion_set.svg"
    figure.parent.mkdir()
    figure.write_text("<svg/>")
    tables = []
    for name, frame in (
        ("bd_rates_aggregate", aggregate),
        ("bd_rates_per_image", per_image),
    ):
        tables.append(tmp_path / "rate_distortion" / f"{name}.csv")
        tables[-1].parent.mkdir(exist_ok=True)
        frame.to_csv(tables[-1], index=False)
    summary = pd.DataFrame(
        [{"input": "a", "member": 0, "rank": 1, "method": "svd", "status": "ok",
          "message": "", "rel_err_2": 0.1, "delta_rel_err_2": 0.0}]
    )  # fmt: skip
    page = tmp_path / "report" / "index.html"
    write_index(page, summary, pd.DataFrame(), pd.DataFrame({"experiment": []}),
                figure, [], bd_rates=aggregate, bd_rates_per_image=per_image,
                set_figure=figure, bd_tables=tables)  # fmt: skip
    return page.read_text()


def test_the_findings_give_the_verdict_with_its_interval_and_images(tmp_path):
    text = written_page(tmp_path, photo_set())
    findings = text[text.index('id="findings"') : text.index('id="glance"')]
    assert findings.index("rate_distortion_set.svg") < findings.index("<li>")
    words = " ".join(findings.split())
    # svd-q8 needs 2.8-3.6x JPEG's bits, 4-5.1x AVIF's (AVIF the strongest).
    verdict = re.search(
        r"svd-q8</b> needs ≈ ([\d.]+)× the bits of avif \(([\d.]+)–([\d.]+)×", words
    )
    ratio, low, high = map(float, verdict.groups())
    assert low < 3.2 / 0.7 < high and low <= ratio <= high
    assert "over 5 images: a, b, c, d, e" in words
    strongest = "fewest bits against JPEG at equal quality: PSNR-RGB avif (-30 %)"
    assert strongest in words


def test_the_codec_matrix_has_intervals_encoders_and_linked_tables(tmp_path):
    text = written_page(tmp_path, photo_set())
    codecs = text[text.index('id="codecs"') : text.index('id="overview"')]
    header = re.search(r"<thead><tr><th>row against column</th>(.*?)</tr>", codecs)
    assert re.findall(r"<th>(.*?)</th>", header.group(1)) == ["avif", "jpeg"]
    assert re.search(r"<tr><th>svd-q8</th><td style=\"background: hsl\(5, ", codecs)
    assert "<small>" in codecs and " to " in codecs
    assert 'href="rate_distortion/bd_rates_per_image.csv"' in codecs
    assert (tmp_path / "report" / "rate_distortion" / "bd_rates_per_image.csv").exists()
    assert "<b>svd-q8</b>: svd-q8 1.0" in codecs


def test_a_cell_resting_on_a_short_curve_is_starred_with_its_note(tmp_path):
    table = photo_set()
    short = (
        (table["input"] == "a") & (table["method"] == "svd-q8") & (table["psnr"] > 30)
    )
    text = written_page(tmp_path, table[~short])
    codecs = text[text.index('id="codecs"') : text.index('id="overview"')]
    row = re.search(r"<tr><th>svd-q8</th>(.*?)</tr>", codecs).group(1)
    assert "*<br>" in row and "a (" in row and "read with care" in row


def full_photo_set():
    """Rows of every built-in anchor and low-rank format or codec on nine
    photos: the widest codec section a study writes."""
    from lowrank.evaluation.bdrate import TESTS
    from lowrank.evaluation.codecs import ANCHORS

    bpp = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4])
    methods = [*ANCHORS, *TESTS]
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        [
            {"input": f"photo{i}", "rows": 600, "cols": 800, "method": method,
             "bpp": rate, "encoder": f"{method} library 1.0: settings",
             "quality": step, "rank": None,
             **{m: value + 2 * step for m, value in
                (("psnr", 26.0), ("psnr_y", 28.0), ("ssimulacra2", 30.0))},
             "ssim": 1 - 10 ** (-(8 + step) / 10),
             "ms_ssim": 1 - 10 ** (-(11 + step) / 10)}
            for i in range(9)
            for cost, method in enumerate(methods)
            for step, rate in enumerate(bpp * (2 + cost) * rng.uniform(0.8, 1.2) / 4)
        ]
    )  # fmt: skip


@pytest.mark.browser
def test_the_codec_section_fits_a_1400_pixel_window(tmp_path):
    text = written_page(tmp_path, full_photo_set())
    assert text.count('class="bd-matrix"') == 5
    page = tmp_path / "report" / "index.html"
    with headless_chromium(1400, 900) as browser:
        browser.get(page.as_uri())
        widths = browser.execute_script(
            "const codecs = document.getElementById('codecs');"
            "const tables = Array.from(codecs.querySelectorAll('table'));"
            "codecs.scrollIntoView();"
            "return [document.documentElement.clientWidth,"
            " document.documentElement.scrollWidth,"
            " Math.max(...tables.map(t => t.getBoundingClientRect().right))]"
        )
        # Kept beside the test's files for a reader of the run.
        browser.save_screenshot(str(tmp_path / "codec-section.png"))
    window, page_width, rightmost = widths
    assert page_width <= window and rightmost <= window, widths


@pytest.mark.parametrize(
    "value, low, high, expected",
    [
        (342.2, 269.7, 437.4, ("300", "270", "440")),  # width 168: hundreds
        (12102, 9358.8, 16004.9, ("12000", "9400", "16000")),
        (-4.04, -8.6, 0.01, ("-4", "-8.6", "0.0")),
        (2.43, 1.931, 2.897, ("2.4", "1.93", "2.90")),
        (-0.4, -3.7, 2.6, ("0", "-3.7", "2.6")),
    ],
)
def test_a_figure_is_rounded_to_what_its_interval_supports(value, low, high, expected):
    from lowrank.report.verdicts import rounded

    assert rounded(value, low, high) == expected


def test_anchors_rank_by_their_bits_against_jpeg_and_cells_colour_by_interval():
    from lowrank.evaluation.bdrate import aggregate_table, bd_table, set_images
    from lowrank.report import verdicts

    table = photo_set()
    per_image = bd_table(table)
    aggregate = aggregate_table(per_image, set_images(table))
    assert [name for name, _ in verdicts.anchor_strengths(aggregate, "psnr")] == [
        "avif", "jpeg",
    ]  # fmt: skip
    (matrix,) = [m for m in verdicts.matrices(aggregate) if m["metric"] == "psnr"]
    rows = dict(matrix["rows"])
    assert [test for test, _ in matrix["rows"]] == ["svd-q8", "avif", "jpeg"]
    assert rows["svd-q8"][0].colour.startswith("hsl(5,")  # more bits, surely
    assert rows["avif"][1].colour.startswith("hsl(130,")  # fewer, surely
    assert rows["avif"][0] is None  # no figure of an anchor against itself
    assert verdicts._colour(-3.0, 2.0) == "hsl(0, 0%, 92%)"  # either way


def test_the_allocation_gain_of_each_image_is_listed():
    from lowrank.report.findings import allocation_gains

    table = pd.DataFrame(
        [{"input": name, "test": "svd-ycc", "anchor": "svd-q8", "metric": metric,
          "bd_rate_percent": value}
         for name, metric, value in (("photo", "psnr", -44.8), ("photo", "ssim", -40.0),
                                     ("wheel", "psnr", 7.2))]
    )  # fmt: skip
    assert allocation_gains(table) == [("photo", -44.8), ("wheel", 7.2)]


@pytest.mark.parametrize("wheel, explained", [(7.2, True), (-3.6, False)])
def test_a_loss_of_the_allocation_is_explained_only_where_there_is_one(
    tmp_path, wheel, explained
):
    gains = (("photo", -44.8), ("wheel", wheel))
    bd_rates = pd.DataFrame(
        [{"input": name, "test": "svd-ycc", "anchor": "svd-q8", "metric": "psnr",
          "bd_rate_percent": value} for name, value in gains]
    )  # fmt: skip
    summary = pd.DataFrame(
        [{"input": "photo", "member": 0, "rank": 1, "method": "svd", "status": "ok",
          "message": "", "rel_err_2": 0.1, "delta_rel_err_2": 0.0}]
    )  # fmt: skip
    page = tmp_path / "report" / "index.html"
    figure = tmp_path / "paper_gap.png"
    write_index(page, summary, pd.DataFrame(), pd.DataFrame({"experiment": []}),
                figure, [], bd_rates_per_image=bd_rates)  # fmt: skip
    text = " ".join(page.read_text().split())
    assert f"photo -44.8 %, wheel {wheel:+.1f} %." in text
    assert ("A positive figure means" in text) == explained


def test_a_figure_outside_the_studys_folder_is_refused_by_name(tmp_path):
    outside = tmp_path / "elsewhere.svg"
    with pytest.raises(ValueError, match="elsewhere.svg"):
        published(outside, tmp_path / "study" / "report")
