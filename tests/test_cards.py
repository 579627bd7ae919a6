import json

import pytest
from PIL import Image

from lowrank.decomposition.prepare_job import main as prepare
from lowrank.errors import RecordError
from lowrank.inputs.cards import (
    admission_limit,
    fitted_ranks,
    is_left_out,
    left_out_reason,
    load_card,
    read_card,
    skip_reason,
    write_card,
)


def test_ranks_are_fitted_to_the_shape():
    assert fitted_ranks([9, 1, 3, 4, 3], (4, 6)) == (1, 3)
    assert fitted_ranks([5], (4, 6)) == ()


@pytest.mark.parametrize(
    ("card", "max_pixels", "limit"),
    [
        (None, 100, 100),  # never prepared: the limit as configured
        ({"shape": [5, 10], "limit": 60}, 100, 60),  # still admitted: unchanged
        ({"shape": [5, 10], "limit": 60}, 50, 60),
        ({"shape": [5, 10], "limit": 60}, None, 60),
        ({"shape": [5, 10], "limit": 60}, 49, 49),  # no longer admitted
        ({"skipped": "big", "oversize": True, "limit": 40}, 100, 100),
        ({"skipped": "corrupt", "oversize": False, "limit": 40}, 100, 40),
    ],
)
def test_a_pixel_limit_reaches_only_the_images_it_admits_otherwise(
    card, max_pixels, limit
):
    assert admission_limit(card, max_pixels) == limit


def test_cards_are_checked_and_name_their_file(tmp_path):
    path = tmp_path / "a.json"
    assert read_card(path) is None
    write_card(path, shape=(4, 6), limit=None)
    assert load_card(path)["shape"] == [4, 6]
    assert skip_reason(load_card(path), (1,)) is None
    assert "4x6" in skip_reason(load_card(path), ())
    for text in ("{", '{"shape": [0, 3]}', "[]", '{"limit": 3}'):
        path.write_text(text)
        with pytest.raises(RecordError, match="a.json.*delete it"):
            read_card(path)


def prepared(tmp_path, image, max_pixels=None):
    source = {
        "image": {"source": str(image), "mode": "gray", "layout": "whole",
                  "max_pixels": max_pixels}
    }  # fmt: skip
    outputs = [tmp_path / name for name in ("m.h5", "s.h5", "card.json")]
    prepare(["--", image.stem, json.dumps(source), *map(str, outputs), str(image)])
    return outputs


def test_an_image_that_cannot_be_read_is_left_out_by_its_prepare_job(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG broken")
    matrix, svd, card = prepared(tmp_path, broken)
    assert is_left_out(matrix) and is_left_out(svd)
    assert "broken.png" in skip_reason(load_card(card), (1,))
    assert load_card(card)["oversize"] is False


def test_an_image_over_the_limit_is_left_out_as_oversize(tmp_path):
    image = tmp_path / "wide.png"
    Image.new("L", (6, 4)).save(image)
    _, _, card = prepared(tmp_path, image, max_pixels=23)
    assert (
        load_card(card)["oversize"] is True
        and "images.max_pixels" in (load_card(card)["skipped"])
    )
    matrix, _, card = prepared(tmp_path, image, max_pixels=24)
    assert load_card(card) == {"shape": [4, 6], "limit": 24}
    assert not is_left_out(matrix)


def test_a_job_after_prepare_tells_a_left_out_input_from_its_arguments(tmp_path):
    empty, matrix = tmp_path / "empty.h5", tmp_path / "m.h5"
    empty.write_bytes(b"")
    matrix.write_bytes(b"\x89HDF")
    assert "could not be read" in left_out_reason(empty, [1])
    assert "no configured rank" in left_out_reason(matrix, [])
    assert left_out_reason(matrix, [1]) is None
