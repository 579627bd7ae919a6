"""A regime is one registration: a toy one reaches records, the summary, the
figures and the report's list of methods without another edit."""

from dataclasses import dataclass, field

import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.scores import evaluation_rows
from lowrank.evaluation.summary import summary_table
from lowrank.methods import compared_methods, is_network, method_style
from lowrank.records import (
    InputMatrix,
    network_record_paths,
    read_record,
    write_matrix,
)
from lowrank.report import figures
from lowrank.training import regimes
from lowrank.training.network import bottleneck_for
from lowrank.training.regimes import Architecture, Fit, RegimeInfo, regime_from_settings
from lowrank.training.train import train_ranks


@dataclass(frozen=True)
class ToyRegime:
    """A network left at zero: the rank-0 map, whatever the rank."""

    steps: int = 3
    dtype: str = "float64"
    seed: int = 0
    architecture: Architecture = field(default_factory=Architecture)


def toy_network(a, rank, regime):
    return bottleneck_for(a, rank, regime, use_bias=False, initializer="zeros")


def fit_toy(model, a, regime, widths):
    return Fit(np.full(regime.steps, 1.0), regime.steps, 1, converged=True)


@pytest.fixture
def toy():
    info = RegimeInfo(ToyRegime, toy_network, fit_toy, "toy step",
                      "relative_frobenius", "#2ca02c", "x")  # fmt: skip
    regimes.register_regime("toy", info)
    yield info
    del regimes.REGIMES["toy"]


def test_a_registered_regime_reaches_the_summary_and_figures(tmp_path, toy):
    matrix = np.random.default_rng(0).uniform(size=(1, 6, 5))
    item = InputMatrix(matrix, "m", "uniform", "{}", "m")
    write_matrix(tmp_path / "m.h5", item)
    folder = tmp_path / "nn-toy"
    folder.mkdir()
    lines = list(train_ranks(tmp_path / "m.h5", [1, 2], "toy", {"steps": 4}, folder))
    assert lines[0].startswith("trained on: CPU (")
    assert lines[1].startswith("rank 1: 4 steps, ") and "CPU s, peak memory" in lines[1]
    assert len(lines) == 3
    decompositions = [thin_svd(matrix[0])]
    paths = network_record_paths([folder], [1, 2])
    rows = evaluation_rows(item, decompositions, [1, 2], "svd.h5", paths)
    table = summary_table(rows)
    toy_rows = table[table["method"] == "nn-toy"]
    assert list(toy_rows["rank"]) == [1, 2] and (toy_rows["status"] == "ok").all()
    assert toy_rows["rel_err_2"].to_numpy() == pytest.approx(1.0)
    assert toy_rows["train_seconds"].notna().all()  # counted as a network
    assert "nn-toy" in compared_methods() and is_network("nn-toy")
    assert method_style("nn-toy") == {"colour": "#2ca02c", "marker": "x"}
    records = {"nn-toy": read_record(paths[1])}
    written = figures.training_curves(records, decompositions, 2, tmp_path / "t.svg")
    assert "nn-toy loss" in written[0].read_text()
    assert regime_from_settings("toy", {"steps": 2}) == ToyRegime(steps=2)


def test_registration_names_a_bad_regime():
    with pytest.raises(ValueError, match="bad name"):
        regimes.register_regime("n-x", regimes.REGIMES["exact"])
    with pytest.raises(ValueError, match="regime must be one of"):
        regime_from_settings("toy", {})
