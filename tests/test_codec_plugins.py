"""A codec from outside the package joins the study through the entry-point
group ``lowrank.codecs`` (lowrank.evaluation.codec_interface), with no edit
of lowrank: its rows are in the sweep's tables, the summary, the BD-rates
and the report."""

import os
import textwrap

import pandas as pd
import pytest
import yaml
from test_workflow import TINY_CONFIG, make_study, snakemake

pytestmark = pytest.mark.workflow

# A codec that keeps the top ``point`` bits of each 8-bit sample.
TOY_CODEC = """
import struct

import numpy as np

from lowrank.evaluation.codec_interface import Codec


class ToyCodec(Codec):
    name = "toy"
    role = "anchor"
    settings = {"kind": "bit planes"}

    def library(self):
        return "toycodec 0.1"

    def points(self, picture):
        return [2, 3, 4, 5, 6]

    def encode(self, picture, point):
        codes = np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8) >> (8 - point)
        return struct.pack("<4I", point, *picture.shape) + codes.tobytes()

    def decode(self, data):
        point, c, m, n = struct.unpack_from("<4I", data)
        codes = np.frombuffer(data, np.uint8, offset=16).reshape(c, m, n)
        return (codes.astype(float) + 0.5) * 2 ** (8 - point) / 255
"""


def toy_package(folder):
    """A distribution ``toycodec`` in ``folder``, as pip would install it:
    its module and its metadata with the entry point."""
    folder.mkdir()
    (folder / "toycodec.py").write_text(textwrap.dedent(TOY_CODEC))
    info = folder / "toycodec-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toycodec\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[lowrank.codecs]\ntoy = toycodec:ToyCodec\n"
    )
    return folder


def test_a_codec_from_a_plugin_is_in_every_output(tmp_path):
    plugin = toy_package(tmp_path / "site")
    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config.update(methods=[], matrices={})
    workdir = make_study(tmp_path / "study", config)
    env = {**os.environ, "PYTHONPATH": str(plugin)}
    snakemake(workdir, env=env)

    results = workdir / "results"
    sweep = pd.read_csv(next((results / "rate_distortion").glob("tiny*.csv")))
    toy = sweep[sweep["method"] == "toy"]
    assert list(toy["quality"]) == [2, 3, 4, 5, 6]
    assert set(toy["encoder"]) == {"toycodec 0.1: kind=bit planes"}
    summary = pd.read_csv(results / "summary.csv")
    assert (summary["method"] == "toy").sum() == 5
    bd = pd.read_csv(results / "rate_distortion" / "bd_rates_per_image.csv")
    # The tiny image has no SVD stream smaller than its raw bytes: the block
    # codec is the low-rank side weighed against the plugin's anchor.
    assert "klt" in set(bd.loc[bd["anchor"] == "toy", "test"])
    # Every BD row names both encoders with their library versions.
    for column in ("test_encoder", "anchor_encoder"):
        assert bd[column].str.contains(r"\d+\.\d+").all(), column
    assert "toycodec 0.1: kind=bit planes" in set(bd["anchor_encoder"])
    # The report's rate-distortion figure of the image draws its curve.
    (figure,) = (results / "report" / "figures").glob("*/rate_distortion.svg")
    assert "toy" in figure.read_text()
    assert figure.parent.name in (results / "report" / "index.html").read_text()

    # Removing the plugin reruns the sweep and what reads it, no more.
    planned = snakemake(workdir, "--dry-run").stdout
    assert "rule rate_distortion" in planned and "rule prepare" not in planned
