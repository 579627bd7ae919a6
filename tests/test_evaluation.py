import numpy as np
import pandas as pd
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.scores import evaluation_rows
from lowrank.evaluation.summary import COLUMNS, read_table, summary_table
from lowrank.records import InputMatrix, Record, write_record


def network_record(decomposition, rank, noise):
    """A trained network's record: the truncation plus a perturbation."""
    approximation = decomposition.truncate(rank) + noise
    return Record(
        approximation=approximation[np.newaxis],
        input="007",
        rank=rank,
        method="nn-exact",
        seconds=2.0,
        steps=2,
        stored_numbers=30,
        loss=np.array([[1.0, 0.5]]),
        settings={"dtype": "float64"},
    )


@pytest.fixture
def evaluated(tmp_path):
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(1, 7, 5))
    item = InputMatrix(matrix, "007", "uniform", "{}", "007")
    decompositions = [thin_svd(matrix[0])]
    paths = []
    for rank, scale in ((1, 0.0), (3, 1e-3)):
        paths.append(tmp_path / f"rank{rank}.h5")
        noise = scale * rng.normal(size=(7, 5))
        write_record(paths[-1], network_record(decompositions[0], rank, noise))
    rows = evaluation_rows(item, decompositions, [1, 3], "svd.h5", paths)
    return rows, paths


def test_rows_cover_every_rank_and_method(evaluated):
    rows, paths = evaluated
    table = summary_table(rows)
    assert list(zip(table["rank"], table["method"])) == [
        (1, "nn-exact"), (1, "svd"), (3, "nn-exact"), (3, "svd"),
    ]  # fmt: skip
    by_key = table.set_index(["rank", "method"])
    assert by_key.loc[(1, "svd"), "record"] == "svd.h5"
    assert by_key.loc[(3, "nn-exact"), "record"] == str(paths[1])
    assert abs(by_key.loc[(3, "svd"), "delta_rel_err_fro"]) < 1e-15
    assert abs(by_key.loc[(1, "nn-exact"), "delta_rel_err_2"]) < 1e-12
    assert by_key.loc[(3, "nn-exact"), "delta_rel_err_fro"] > 0
    assert by_key.loc[(3, "nn-exact"), "train_seconds"] == 2.0


def test_table_round_trips_through_csv_with_text_names(evaluated, tmp_path):
    table = summary_table(evaluated[0])
    path = tmp_path / "007.csv"
    table.to_csv(path, index=False)
    back = read_table(path)
    assert back["input"].tolist() == ["007"] * 4
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    assert tuple(back.columns) == COLUMNS


def test_other_csv_is_refused_by_name(tmp_path):
    path = tmp_path / "foreign.csv"
    pd.DataFrame({"input": ["a"], "rank": [1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="foreign.csv"):
        read_table(path)


@pytest.mark.parametrize("status", ["diverged", "rank-check-failed"])
def test_failed_records_keep_their_row_with_empty_measures(tmp_path, status):
    matrix = np.random.default_rng(1).normal(size=(1, 6, 5))
    item = InputMatrix(matrix, "m", "uniform", "{}", "m")
    decompositions = [thin_svd(matrix[0])]
    record = network_record(decompositions[0], 2, np.nan)
    record.input, record.status, record.message = "m", status, "why"
    write_record(tmp_path / "rank2.h5", record)
    rows = evaluation_rows(item, decompositions, [2], "svd.h5", [tmp_path / "rank2.h5"])
    failed = summary_table(rows).set_index("method").loc["nn-exact"]
    assert (failed["status"], failed["message"]) == (status, "why")
    for column in ("rel_err_2", "delta_rel_err_2", "principal_angle", "psnr"):
        assert np.isnan(failed[column])
    assert np.isnan(failed["final_loss"]) == (status == "diverged")
    assert failed["svd_rel_err_2"] == pytest.approx(
        decompositions[0].s[2] / decompositions[0].s[0]
    )
    assert summary_table(rows).set_index("method").loc["svd", "status"] == "ok"


def test_summary_rows_with_unknown_keys_are_named():
    from lowrank.errors import SummarySchemaError

    row = {"input": "a", "member": 0, "rank": 1, "method": "svd", "quality": None}
    assert len(summary_table([row])) == 1
    with pytest.raises(SummarySchemaError, match=r"\['bitz'\]"):
        summary_table([row, {**row, "bitz": 8}])


def test_images_get_image_measures_and_matrices_do_not(tmp_path):
    from lowrank.evaluation import metrics

    image = np.random.default_rng(2).uniform(size=(2, 12, 16))
    decompositions = [thin_svd(channel) for channel in image]
    record = network_record(decompositions[0], 2, 1e-3)
    record.approximation = np.clip([d.truncate(2) for d in decompositions], 0, 1)
    record.steps = 4
    record.loss = np.array([[1.0, 0.5, 0.25, np.nan], [3.0, 2.0, np.nan, np.nan]])
    write_record(tmp_path / "rank2.h5", record)
    rows = {}
    for kind in ("image", "uniform"):
        item = InputMatrix(image, "007", kind, "{}", "007")
        table = summary_table(
            evaluation_rows(
                item, decompositions, [2], "svd.h5", [tmp_path / "rank2.h5"]
            )
        )
        rows[kind] = table.set_index("method").loc["nn-exact"]
    shown = record.approximation
    assert rows["image"]["psnr"] == pytest.approx(metrics.psnr(image, shown))
    assert rows["image"]["ssim"] == pytest.approx(metrics.ssim(image, shown))
    assert np.isnan(rows["uniform"]["psnr"]) and np.isnan(rows["uniform"]["ssim"])
    assert rows["image"]["compression_ratio"] == pytest.approx(2 * 12 * 16 / 30)
    assert rows["image"]["final_loss"] == pytest.approx((0.25 + 2.0) / 2)


def test_a_ycbcr_image_is_scored_on_its_rgb_picture(tmp_path):
    from lowrank.colour import rgb_to_ycbcr, ycbcr_to_rgb
    from lowrank.evaluation import metrics

    rgb = np.random.default_rng(3).uniform(size=(3, 12, 16))
    ycc = rgb_to_ycbcr(rgb)
    decompositions = [thin_svd(channel) for channel in ycc]
    record = network_record(decompositions[0], 2, 1e-3)
    record.approximation = np.stack([d.truncate(2) for d in decompositions])
    record.loss = np.ones((3, 2))
    write_record(tmp_path / "rank2.h5", record)
    item = InputMatrix(ycc, "c", "image", "c.png", "c", mode="ycbcr")
    rows = evaluation_rows(item, decompositions, [2], "svd.h5", [tmp_path / "rank2.h5"])
    row = summary_table(rows).set_index("method").loc["nn-exact"]
    picture = ycbcr_to_rgb(record.approximation)
    assert row["mode"] == "ycbcr"
    assert row["psnr"] == pytest.approx(metrics.psnr(rgb, picture))
    assert row["ssim"] == pytest.approx(metrics.ssim(rgb, picture))
    # The errors are the stack's, the channels that were approximated.
    assert row["rel_err_fro"] == pytest.approx(
        metrics.relative_error_fro(ycc, record.approximation)
    )


def test_a_record_of_another_shape_is_named(tmp_path):
    matrix = np.ones((1, 6, 5))
    record = network_record(thin_svd(np.ones((6, 4))), 1, 0.0)
    write_record(tmp_path / "rank1.h5", record)
    item = InputMatrix(matrix, "007", "uniform", "{}", "007")
    with pytest.raises(ValueError, match=r"record 007/nn-exact has shape \(1, 6, 4\)"):
        evaluation_rows(
            item, [thin_svd(matrix[0])], [], "svd.h5", [tmp_path / "rank1.h5"]
        )


def test_counts_are_written_as_whole_numbers(tmp_path):
    from lowrank.evaluation.summary import write_summary

    rows = [
        {"input": "a", "rank": 1, "method": "svd", "status": "ok", "rel_err_2": 0.5},
        {"input": "a", "method": "klt", "status": "ok", "quality": 2.5, "bits": 800},
    ]
    write_summary(summary_table(rows), tmp_path / "s.csv", tmp_path / "s.h5")
    text = (tmp_path / "s.csv").read_text()
    assert "a,,,,,,,,1,svd," in text and "1.0" not in text and "800.0" not in text
    back = read_table(tmp_path / "s.csv")
    assert back.loc[0, "rank"] == 1 and back.loc[0, "rel_err_2"] == 0.5
    assert back.loc[1, "bits"] == 800 and np.isnan(back.loc[1, "rank"])
    assert back.loc[1, "quality"] == 2.5
