"""The files planning writes for its jobs (lowrank.plan_files)."""

import os

import pytest

from lowrank.plan_files import read_arguments, replace_text, write_arguments


def test_the_same_text_leaves_the_file_and_its_time_alone(tmp_path):
    path = tmp_path / "arguments" / "summary.json"
    write_arguments(path, {"evaluations": ["a.csv"]})
    os.utime(path, (1, 1))
    write_arguments(path, {"evaluations": ["a.csv"]})
    assert path.stat().st_mtime == 1
    write_arguments(path, {"evaluations": ["a.csv", "b.csv"]})
    assert path.stat().st_mtime > 1
    assert read_arguments(path, ["evaluations"]) == {"evaluations": ["a.csv", "b.csv"]}


def test_a_replaced_file_leaves_no_partial_file_behind(tmp_path):
    replace_text(tmp_path / "env.yaml", "one")
    replace_text(tmp_path / "env.yaml", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["env.yaml"]
    assert (tmp_path / "env.yaml").read_text() == "two"


@pytest.mark.parametrize("text", ['{"notes": []}', "[]"])
def test_arguments_without_a_key_name_the_file_and_the_key(tmp_path, text):
    path = tmp_path / "report_page.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"report_page\.json.*'sections'"):
        read_arguments(path, ["sections", "notes"])
