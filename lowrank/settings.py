"""Per-input settings: the config's global sections with ``overrides`` on top.

``overrides.<name>`` applies to the image with stem ``name`` or to every
member of the matrix set ``name``. Regime settings and the architecture are
merged key by key over the global ones, so an override names only what
differs (``regimes: {paper: {epochs: 100}}``); ``mode`` replaces
``images.mode``.
"""


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
