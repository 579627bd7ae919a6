"""Training regimes and network layouts as plain settings (no Keras import),
and the registry of regimes.

A regime is one registration (:func:`register_regime`): a frozen dataclass of
settings, built from the config section ``regimes.<name>`` by
:func:`regime_from_settings`, and a trainer that :mod:`lowrank.training.train`
calls. The workflow's jobs, the method name ``nn-<name>``
(:mod:`lowrank.methods`), the summary, the figures and the report take their
regimes from :data:`REGIMES`; the config schema holds each one's settings.
"""

import importlib
from dataclasses import dataclass, field

INPUT_DISTRIBUTIONS = {
    # name: (mean of every entry, variance of every entry); entries independent
    "gaussian": (0.0, 1.0),  # x ~ N(0, I)
    "uniform": (0.5, 1.0 / 12.0),  # x ~ U[0, 1)^n, NumPy's ``random``
}


@dataclass(frozen=True)
class Architecture:
    """Hidden layout of the network
    (:func:`lowrank.training.network.layer_widths`)."""

    design: str = "paper"
    before: tuple = ()
    after: tuple = ()


@dataclass(frozen=True)
class PaperRegime:
    """Bleckel's training set-up, kept to reproduce the paper's numbers.

    Adam on the mean squared error of mini-batches of random vectors x with
    targets A x, reshuffled every epoch (:mod:`lowrank.training.paper_training`).
    ``inputs`` names the distribution of x (:data:`INPUT_DISTRIBUTIONS`).
    The paper states the layer widths, he_normal, MSE and the sample and
    epoch counts; ``inputs``, ``use_bias``, the optimizer, its learning rate
    and the batch size are assumptions (`docs/paper.md`).
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

    def __post_init__(self):
        if self.inputs not in INPUT_DISTRIBUTIONS:
            raise ValueError(
                f"regimes.paper.inputs must be one of {tuple(INPUT_DISTRIBUTIONS)}, "
                f"got {self.inputs!r}"
            )


@dataclass(frozen=True)
class ExactRegime:
    """Accelerated Gauss-Newton sweeps on the exact objective
    (:mod:`lowrank.training.exact_training`). ``max_steps`` and ``steps_per_call``
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


@dataclass(frozen=True)
class Fit:
    """What a trainer returns (see :class:`RegimeInfo`)."""

    loss: object  # ndarray, one entry per ``loss_every`` steps
    steps: int
    loss_every: int
    converged: bool
    note: str = ""  # why not, when not converged


LOSS_SCALES = {
    # what a regime's loss measures: the figures draw the SVD's levels on it
    "mse": "MSE over the regime's input distribution",
    "relative_frobenius": "relative squared Frobenius error",
}


@dataclass(frozen=True)
class RegimeInfo:
    """A training regime, as the rest of the study sees it.

    Attributes
    ----------
    settings : type
        A frozen dataclass whose fields are the config keys of
        ``regimes.<name>``; it has ``seed``, ``dtype`` and ``architecture``
        (:class:`Architecture`) and validates its values on construction.
    network : str or callable
        A function of ``module`` by name (imported when first used, so that
        only training imports Keras) or the function itself:
        ``network(a, rank, regime)`` builds the rank-``rank`` Keras network
        for the (m, n) matrix ``a``.
    trainer : str or callable
        The same, ``train(model, a, regime, widths) -> Fit``: trains the
        network's weights in place; ``widths`` are the zero-padded layer
        widths to compute at (:func:`lowrank.training.network.padded_kernels`), or
        None. It raises :class:`lowrank.errors.TrainingDivergedError` when
        the loss is not finite.
    step : str
        What one step of its loss curve is ("Adam step").
    loss : str
        A key of :data:`LOSS_SCALES`.
    colour, marker : str
        Its colour (hex) and matplotlib marker in figures and the report.
    module : str
        The dotted name of the module that holds ``network`` and ``trainer``
        when they are named. Deliberately not a ``"module:function"`` string:
        :mod:`lowrank.provenance` counts those as imports, and every reader
        of this registry (summary, figures, report) would then depend on
        every trainer. Only a training job of this regime digests it
        (:func:`regime_modules`).
    """

    settings: type
    network: object
    trainer: object
    step: str
    loss: str
    colour: str
    marker: str
    module: str = ""

    def build(self, a, rank, regime):
        return self._function(self.network)(a, rank, regime)

    def train(self, model, a, regime, widths=None):
        return self._function(self.trainer)(model, a, regime, widths)

    def _function(self, reference):
        if callable(reference):
            return reference
        return getattr(importlib.import_module(self.module), reference)


REGIMES = {}
NETWORK_PREFIX = "nn-"  # the method name of a regime: nn-<name>


def register_regime(name, info):
    """Add a regime under ``name`` (a config key and the ``{regime}`` wildcard:
    letters and digits)."""
    if not name.isalnum() or info.loss not in LOSS_SCALES:
        raise ValueError(f"regime {name!r}: bad name or loss scale {info.loss!r}")
    REGIMES[name] = info


register_regime(
    "paper",
    RegimeInfo(PaperRegime, "paper_network", "fit_paper", "Adam step", "mse",
               "#d62728", "s", module="lowrank.training.paper_training"),
)  # fmt: skip
register_regime(
    "exact",
    RegimeInfo(ExactRegime, "exact_network", "fit_exact", "Gauss-Newton iteration",
               "relative_frobenius", "#1f77b4", "^",
               module="lowrank.training.exact_training"),
)  # fmt: skip


def network_method(regime_name):
    """The method name of a training regime: ``exact`` -> ``nn-exact``."""
    return f"{NETWORK_PREFIX}{regime_name}"


def regime_modules(name):
    """Dotted names of the modules a training job of regime ``name`` runs
    beyond the shared training code: its network's and trainer's."""
    info = REGIMES[name]
    functions = (info.network, info.trainer)
    given = {function.__module__ for function in functions if callable(function)}
    return sorted(given | ({info.module} if info.module else set()))


def regime_info(regime):
    """The registration of a regime's settings object."""
    for info in REGIMES.values():
        if type(regime) is info.settings:
            return info
    raise TypeError(f"unknown regime {regime!r}")


def regime_from_settings(name, settings):
    """Build a regime object from a plain mapping (a config section).

    Raises ValueError for an unknown regime name or a bad value and
    TypeError, naming the key, for an unknown setting.
    """
    if name not in REGIMES:
        raise ValueError(f"regime must be one of {tuple(REGIMES)}, got {name!r}")
    settings = dict(settings)
    architecture = settings.pop("architecture", {}) or {}
    architecture = Architecture(
        design=architecture.get("design", "paper"),
        before=tuple(architecture.get("before", ())),
        after=tuple(architecture.get("after", ())),
    )
    return REGIMES[name].settings(architecture=architecture, **settings)
