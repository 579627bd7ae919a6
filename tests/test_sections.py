import pandas as pd

from lowrank.inputs.cards import write_card
from lowrank.report.sections import study_sections


def spec(name, card=None, configured=None):
    extra = {} if configured is None else {"configured_ranks": configured}
    return {
        "name": name, "kind": "image", "figures": f"results/figures/{name}",
        "rows": {"input": name, "member": 0}, "card": card, "rate_distortion": None,
        **extra,
    }  # fmt: skip


def test_sections_take_shape_and_ranks_from_the_rows_and_name_what_was_left_out(
    tmp_path,
):
    rows = pd.DataFrame({"rows": [8, 8], "cols": [6, 6], "rank": [2, 1]})
    broken, narrow = tmp_path / "broken.json", tmp_path / "narrow.json"
    write_card(broken, skipped="images/broken.png: corrupt", limit=100)
    write_card(narrow, shape=(1, 9), limit=100)
    sections, notes = study_sections(
        [
            spec("photo", configured=[1, 2, 50]),
            spec("broken", card=str(broken)),
            spec("narrow", card=str(narrow)),
        ],
        {("photo", 0): rows},
    )
    (section,) = sections
    assert section.shape == (8, 6) and [rank for rank, _, _ in section.ranks] == [1, 2]
    assert [message for _, message in notes] == [
        "photo (8x6): rank(s) [50] skipped, ranks must lie in 1..5",
        "left out: images/broken.png: corrupt",
        "left out: narrow: no configured rank fits its 1x9 matrix, so it is left out",
    ]
