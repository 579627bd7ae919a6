"""Per-input settings: the config's global sections with ``overrides`` on top.

``overrides.<name>`` applies to the image with stem ``name`` or to every
member of the matrix set ``name``. Regime settings and the architecture are
merged key by key over the global ones, so an override names only what
differs (``regimes: {paper: {epochs: 100}}``); ``mode`` replaces
``images.mode``.
"""

from pathlib import Path


def regime_settings(config, set_name, regime):
    """The settings one input trains ``regime`` with, architecture included."""
    override = config.get("overrides", {}).get(set_name, {})
    settings = {
        **(config["regimes"].get(regime) or {}),
        **(override.get("regimes", {}).get(regime) or {}),
    }
    architecture = {
        **config.get("architecture", {}),
        **override.get("architecture", {}),
    }
    if architecture.get("design", "paper") != "custom":
        # Widths around the bottleneck shape only a custom design: elsewhere
        # they must not rerun a training.
        architecture = {"design": architecture.get("design", "paper")}
    settings["architecture"] = architecture
    return settings


def image_mode(config, stem):
    """``gray``, ``rgb`` or ``ycbcr``: how the image ``stem`` is read."""
    override = config.get("overrides", {}).get(stem, {})
    return override.get("mode", config.get("images", {}).get("mode", "rgb"))


def empty_mappings_replace(config, given):
    """``config`` with every empty mapping of ``given`` (what ``--configfile``
    and ``--config`` said) replacing the value at its place, as a reader of
    the file expects: Snakemake merges a given mapping into the workflow's
    key by key, so ``matrices: {}`` alone would keep every default matrix."""
    for key, value in given.items():
        if value == {}:
            config[key] = {}
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            empty_mappings_replace(config[key], value)
    return config


def check_report_ranges(report):
    """ValueError naming the config key where a ``report`` range (the BD
    rate range, a measure's quality interval) does not run from low to high."""
    ranges = {"report.bd_quality_bpp": report["bd_quality_bpp"]}
    for measure, interval in report["bd_quality_intervals"].items():
        ranges[f"report.bd_quality_intervals.{measure}"] = interval
    for key, (low, high) in ranges.items():
        if not low < high:
            raise ValueError(
                f"{key}: the low end {low} must be below the high one {high}"
            )


def config_error(config, schema_path):
    """One line naming the config key the schema refuses and why: Snakemake's
    own validation error prints the whole schema. jsonschema and PyYAML come
    with Snakemake, in whose Python this runs."""
    import jsonschema
    import yaml

    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    cause = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(config)
    )
    if cause is None:
        return None
    key = ".".join(str(part) for part in cause.absolute_path) or "(top level)"
    return f"config key {key}: {cause.message}"
