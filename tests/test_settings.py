from pathlib import Path

import pytest

from lowrank.settings import (
    check_report_ranges,
    config_error,
    empty_mappings_replace,
    image_mode,
    regime_settings,
)

REPO = Path(__file__).resolve().parents[1]

CONFIG = {
    "images": {"mode": "gray"},
    "architecture": {"design": "paper"},
    "regimes": {"paper": {"epochs": 10, "samples": 100}, "exact": {"max_steps": 5}},
    "overrides": {
        "photo": {"mode": "rgb", "regimes": {"paper": {"epochs": 100}}},
        "deep": {"architecture": {"design": "custom", "before": [8]}},
    },
}


def test_overrides_change_only_the_keys_they_name():
    assert regime_settings(CONFIG, "photo", "paper") == {
        "epochs": 100,
        "samples": 100,
        "architecture": {"design": "paper"},
    }
    assert regime_settings(CONFIG, "photo", "exact")["max_steps"] == 5
    assert regime_settings(CONFIG, "deep", "paper")["architecture"] == {
        "design": "custom",
        "before": [8],
    }
    assert regime_settings(CONFIG, "other", "paper")["epochs"] == 10


def test_mode_override_replaces_the_global_mode():
    assert image_mode(CONFIG, "photo") == "rgb"
    assert image_mode(CONFIG, "deep") == image_mode(CONFIG, "other") == "gray"


def test_an_empty_mapping_in_a_config_file_replaces_the_default():
    default = {
        "matrices": {"hilbert": {"kind": "hilbert"}},
        "report": {"codecs": {"jpeg": 1}, "min_side": 256},
        "ranks": [1, 2],
    }
    given = {"matrices": {}, "report": {"codecs": {}}, "ranks": []}
    config = empty_mappings_replace(default, given)
    assert config["matrices"] == {}
    assert config["report"] == {"codecs": {}, "min_side": 256}
    assert config["ranks"] == [1, 2]  # lists Snakemake replaces itself
    merged = {"matrices": {"a": {}}}
    kept = empty_mappings_replace(merged, {"matrices": {"b": {"n": 2}}})
    assert kept == {"matrices": {"a": {}}}  # Snakemake has merged those already


def test_a_report_range_that_does_not_rise_names_its_key():
    report = {"bd_quality_bpp": [0.25, 1.0], "bd_quality_intervals": {"psnr": [30, 40]}}
    check_report_ranges(report)
    report["bd_quality_intervals"]["ssim_db"] = [15, 10]
    with pytest.raises(ValueError, match=r"report\.bd_quality_intervals\.ssim_db"):
        check_report_ranges(report)
    with pytest.raises(ValueError, match=r"report\.bd_quality_bpp"):
        check_report_ranges({"bd_quality_bpp": [1, 1], "bd_quality_intervals": {}})


def test_the_schema_default_intervals_are_the_packages():
    import yaml

    from lowrank.evaluation.bdrate import QUALITY_INTERVALS

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    report = schema["properties"]["report"]["properties"]
    default = report["bd_quality_intervals"]["default"]
    assert {k: tuple(v) for k, v in default.items()} == QUALITY_INTERVALS


def test_a_refused_config_is_one_line_naming_its_key():
    import yaml

    schema = REPO / "workflow" / "schemas" / "config.schema.yaml"
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert config_error(config, schema) is None
    config["training"] = {"device": "gpux"}
    message = config_error(config, schema)
    assert message.startswith("config key training.device: 'gpux' is not one of")
    assert "\n" not in message
