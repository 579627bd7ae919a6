"""Training regimes and network layouts as plain settings (no Keras import).

A regime is a frozen dataclass built from a config section by
:func:`regime_from_settings`; :mod:`lowrank.training` dispatches on its type.
"""

from dataclasses import dataclass, field

REGIMES = ("paper", "exact")
INPUT_DISTRIBUTIONS = {
    # name: (mean of every entry, variance of every entry); entries independent
    "gaussian": (0.0, 1.0),  # x ~ N(0, I)
    "uniform": (0.5, 1.0 / 12.0),  # x ~ U[0, 1)^n, NumPy's ``random``
}


@dataclass(frozen=True)
class Architecture:
    """Hidden layout of the network; see :func:`lowrank.network.layer_widths`."""

    design: str = "paper"
    before: tuple = ()
    after: tuple = ()


@dataclass(frozen=True)
class PaperRegime:
    """Bleckel's training set-up, kept to reproduce the paper's numbers.

    Adam on the mean squared error of mini-batches of random vectors x with
    targets A x, reshuffled every epoch (:mod:`lowrank.paper_training`).
    ``inputs`` names the distribution of x (:data:`INPUT_DISTRIBUTIONS`).
    The paper states the layer widths, he_normal, MSE and the sample and
    epoch counts; ``inputs``, ``use_bias``, the optimizer, its learning rate
    and the batch size are assumptions (README, "The paper regime").
    """

    inputs: str = "uniform"
    samples: int = 10_000
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    use_bias: bool = False
    initializer: str = "he_normal"
    dtype: str = "float32"
    seed: int = 0
    architecture: Architecture = field(default_factory=Architecture)


@dataclass(frozen=True)
class ExactRegime:
    """Accelerated Gauss-Newton sweeps on the exact objective
    (:mod:`lowrank.exact_training`). ``max_steps`` and ``steps_per_call``
    count iterations; an iteration is one sweep, two when momentum restarts."""

    max_steps: int = 2_000
    steps_per_call: int = 10
    tolerance: float = 1e-12
    damping: float = 1e-10
    init_gain: float = 1.0
    momentum: bool = True
    dtype: str = "float64"
    seed: int = 0
    architecture: Architecture = field(default_factory=Architecture)


def regime_from_settings(name, settings):
    """Build a regime object from a plain mapping (a config section).

    Raises ValueError for an unknown regime name and TypeError, naming the
    key, for an unknown setting.
    """
    classes = {"paper": PaperRegime, "exact": ExactRegime}
    if name not in classes:
        raise ValueError(f"regime must be one of {REGIMES}, got {name!r}")
    settings = dict(settings)
    architecture = settings.pop("architecture", {}) or {}
    architecture = Architecture(
        design=architecture.get("design", "paper"),
        before=tuple(architecture.get("before", ())),
        after=tuple(architecture.get("after", ())),
    )
    regime = classes[name](architecture=architecture, **settings)
    if name == "paper" and regime.inputs not in INPUT_DISTRIBUTIONS:
        raise ValueError(
            f"regimes.paper.inputs must be one of {tuple(INPUT_DISTRIBUTIONS)}, "
            f"got {regime.inputs!r}"
        )
    return regime
