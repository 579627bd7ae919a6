import json

import numpy as np
from PIL import Image

from lowrank.inputs.matrices import build_members
from lowrank.inputs.sources import input_matrix


def test_image_source_reads_the_file(tmp_path):
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    path = tmp_path / "a.png"
    Image.fromarray(pixels).save(path)
    source = {
        "image": {
            "source": "https://host/a.png",
            "mode": "gray",
            "layout": "whole",
            "max_pixels": 100,
        }  # fmt: skip
    }
    item = input_matrix("a", source, path)
    assert (item.input, item.kind, item.set, item.source) == (
        "a",
        "image",
        "a",
        "https://host/a.png",
    )
    np.testing.assert_allclose(item.matrix[0], pixels / 255.0)


def test_matrix_source_builds_that_member_of_its_set():
    spec = {"family": "uniform", "count": 2, "shape": [3, 4], "seed": 0}
    item = input_matrix("r-1", {"matrix": {"set": "r", "member": 1, **spec}})
    np.testing.assert_array_equal(item.matrix, build_members("r", spec)[1][None])
    assert (item.kind, item.set, item.member) == ("uniform", "r", 1)
    assert json.loads(item.source) == spec
