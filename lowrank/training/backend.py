"""What the trainers need from the Keras backend: Keras itself (imported
here, for every trainer), threads, determinism, dtype and a compiler that
turns a pure function of tensors into one compiled call."""

import importlib
import os
import sys

# Keras imports these when they are installed, for plots and DataFrame inputs
# that training never uses: a second of the five a training process takes to
# start (`docs/design.md`, "The warm training service").
KERAS_OPTIONAL_IMPORTS = ("matplotlib", "pandas")
# TensorFlow imports JAX where it is installed (for TF Lite's converters): half
# a second of a TensorFlow process's start, unless the backend is JAX.
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
OTHER_BACKENDS = () if BACKEND == "jax" else ("jax",)


def import_without(name, optional):
    """Import module ``name`` while the not yet loaded modules ``optional``
    look absent, so that the imports ``name`` guards with ``except
    ImportError`` are skipped; they import normally afterwards. If ``name``
    needs one of them after all, it is imported again without the block."""
    blocked = [module for module in optional if module not in sys.modules]
    sys.modules.update(dict.fromkeys(blocked))
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    finally:
        for module in blocked:
            del sys.modules[module]
    return importlib.import_module(name)


keras = import_without("keras", KERAS_OPTIONAL_IMPORTS + OTHER_BACKENDS)


def configure_threads(threads):
    """Limit the backend's CPU threads to the job's ``threads``.

    Takes effect before the first operation; later, in a process where
    TensorFlow already runs (a test session), the setting it started with
    stays. A no-op for backends without the knob.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # "cannot be modified after initialization"
            pass


def prepare_backend(dtype):
    """Make the backend reproducible and honour ``dtype``.

    TensorFlow picks kernels nondeterministically unless asked not to; JAX
    computes float64 as float32 unless told otherwise.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if backend == "jax" and dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def compile_function(function):
    """Compile ``function`` with the backend's tracer, so that one call runs a
    whole loop of steps instead of dispatching every operation from Python."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        # XLA fuses the loop body: 4x faster steps on small matrices.
        return tf.function(function, jit_compile=True)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


def to_numpy(tensor, dtype=None):
    """A backend tensor as a NumPy array (of ``dtype`` if given)."""
    array = keras.ops.convert_to_numpy(tensor)
    return array if dtype is None else array.astype(dtype)


def backend_name():
    """The Keras backend and its version, e.g. ``"tensorflow 2.21.0"``."""
    backend = keras.backend.backend()
    return f"{backend} {importlib.import_module(backend).__version__}"


def gpus_seen():
    """How many GPUs the backend can compute on (not what nvidia-smi lists:
    without the CUDA libraries the framework sees none)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    return 0


def placed_device(variable):
    """Where the backend holds ``variable`` (a Keras variable), from the
    tensor itself: ``"CPU"`` or ``"GPU:<index> <name>"``."""
    tensor = variable.value
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        spec = tf.DeviceSpec.from_string(tensor.device)
        if spec.device_type != "GPU":
            return "CPU"
        gpu = tf.config.list_physical_devices("GPU")[spec.device_index or 0]
        name = tf.config.experimental.get_device_details(gpu).get("device_name", "")
        return f"GPU:{spec.device_index or 0} {name}".strip()
    if backend == "jax":
        (device,) = tensor.devices()
        if device.platform == "cpu":
            return "CPU"
        return f"GPU:{device.id} {device.device_kind}"
    return "unknown"
