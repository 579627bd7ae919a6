"""Exceptions raised by lowrank; each message names the file, key or input at fault."""

import numpy as np


class LowrankError(Exception):
    """Base class of every error lowrank raises on purpose."""


class InputFileError(LowrankError, ValueError):
    """An input file (image or matrix) cannot be turned into a matrix."""


class StudySpecError(LowrankError, ValueError):
    """A study-matrix specification or rank request is invalid."""


class RankCheckError(LowrankError):
    """A learned matrix has a numerical rank above its bottleneck width."""


class TrainingDivergedError(LowrankError):
    """The training loss became NaN or infinite."""


class RecordError(LowrankError, ValueError):
    """A result file is missing fields, has the wrong shape, or cannot be read."""


def check_finite(loss, setting):
    """Raise :class:`TrainingDivergedError` naming ``setting`` if ``loss`` is
    not finite."""
    if not np.all(np.isfinite(loss)):
        step = int(np.argmin(np.isfinite(loss)))
        raise TrainingDivergedError(
            f"training diverged: the loss became {loss[step]} at step {step + 1}; "
            f"lower the regime's {setting} setting or check the input for NaN"
        )
