from lowrank.settings import image_mode, regime_settings

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
