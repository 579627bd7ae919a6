"""Exceptions raised by lowrank; each message names the file, key or input at
fault. Importing it costs no NumPy: every training job (and its start-up
share) imports these errors."""


class LowrankError(Exception):
    """Base class of every error lowrank raises on purpose."""


class InputFileError(LowrankError, ValueError):
    """An input file (image or matrix) cannot be turned into a matrix."""


class OversizeImageError(InputFileError):
    """An image has more pixels than ``images.max_pixels`` admits: a higher
    limit would admit it, which no other input error says."""


class StudySpecError(LowrankError, ValueError):
    """A study-matrix specification or rank request is invalid."""


class TrainingDivergedError(LowrankError):
    """The training loss became NaN or infinite; ``loss`` holds it so far,
    logged after every ``every``-th step."""

    def __init__(self, message, loss=None, every=1):
        super().__init__(message)
        self.loss, self.every = loss, every


class GPUMissingError(LowrankError, RuntimeError):
    """A training that must run on a GPU found none its framework can use."""


class RecordError(LowrankError, ValueError):
    """A result file is missing fields, has the wrong shape, or cannot be read."""


class SummarySchemaError(LowrankError, ValueError):
    """A summary row does not fit the summary's columns."""


def check_finite(loss, setting, every=1):
    """Raise :class:`TrainingDivergedError` naming ``setting`` if ``loss``, logged
    after every ``every``-th step, is not finite."""
    import numpy as np

    if not np.all(np.isfinite(loss)):
        index = int(np.argmin(np.isfinite(loss)))
        raise TrainingDivergedError(
            f"training diverged: the loss became {loss[index]} at step "
            f"{(index + 1) * every}; "
            f"lower the regime's {setting} setting or check the input for NaN",
            loss=np.asarray(loss, dtype=np.float64),
            every=every,
        )
