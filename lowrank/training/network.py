"""Linear bottleneck networks in Keras, and the matrix a trained one computes.

A network maps x (length n) to an approximation of A x (length m) through
Dense layers without activation, one of them ``rank`` wide, so the map it
computes has rank at most ``rank``.
"""

import numpy as np

from lowrank.decomposition.svd import numerical_rank
from lowrank.training.backend import keras
from lowrank.training.initial_weights import initial_kernel

DESIGNS = ("paper", "minimal", "pyramid", "custom")


def layer_widths(n_in, n_out, rank, design="paper", before=(), after=()):
    """Widths of the Dense layers after the input, the last being ``n_out``.

    Parameters
    ----------
    n_in, n_out : int
        Input width n and output width m.
    rank : int
        Bottleneck width k.
    design : {"paper", "minimal", "pyramid", "custom"}
        ``paper``: n -> n -> k -> m (Bleckel's design).
        ``minimal``: n -> k -> m.
        ``pyramid``: widths halve from n down to k, then double up towards m.
        ``custom``: n -> *before -> k -> *after -> m.

    Returns
    -------
    list of int
    """
    if design == "paper":
        return [n_in, rank, n_out]
    if design == "minimal":
        return [rank, n_out]
    if design == "pyramid":
        return _halvings(n_in, rank) + [rank] + _halvings(n_out, rank)[::-1] + [n_out]
    if design == "custom":
        return [*before, rank, *after, n_out]
    raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")


def shared_widths(layouts):
    """Widths that several networks of one job fit in, one list per layout.

    Layouts with the same number of layers get their elementwise maximum, so
    a compiled training loop traced for it serves each of them (zero-padded,
    :func:`lowrank.training.paper_training.initial_state`).
    """
    widest = {}
    for widths in layouts:
        known = widest.get(len(widths), widths)
        widest[len(widths)] = [max(a, b) for a, b in zip(known, widths)]
    return [widest[len(widths)] for widths in layouts]


def padded_kernels(kernels, widths):
    """``kernels`` W_1 ... W_L zero-padded to the layer output ``widths``.

    W_1 keeps its input width. The added units have no weight into or out
    of them, so the product W_1 ... W_L is unchanged, and their gradients
    (or Gauss-Newton steps) are zero: they stay zero while training.
    Raises ValueError unless ``widths`` is at least as wide as every layer
    and ends with the output width.
    """
    units = [kernel.shape[1] for kernel in kernels]
    widths = list(widths)
    if len(widths) != len(units) or widths[-1] != units[-1]:
        raise ValueError(f"widths {widths} do not fit layers of widths {units}")
    if any(width < unit for width, unit in zip(widths, units)):
        raise ValueError(f"widths {widths} are narrower than the layers {units}")
    padded = []
    fan_ins = [kernels[0].shape[0], *widths[:-1]]
    for kernel, fan_in, width in zip(kernels, fan_ins, widths):
        block = np.zeros((fan_in, width), dtype=kernel.dtype)
        block[: kernel.shape[0], : kernel.shape[1]] = kernel
        padded.append(block)
    return padded


def _halvings(width, rank):
    widths, width = [], width // 2
    while width > rank:
        widths.append(width)
        width //= 2
    return widths


def build_bottleneck(
    n_in,
    n_out,
    rank,
    design="paper",
    before=(),
    after=(),
    use_bias=True,
    initializer="he_normal",
    dtype="float32",
    seed=0,
):
    """Build a linear Sequential model n_in -> ... -> rank -> ... -> n_out.

    ``initializer`` is anything ``keras.initializers.get`` accepts (a name, a
    config dict, or an instance) that
    :func:`lowrank.training.initial_weights.initial_kernel` can draw: the
    kernels come from NumPy's generator seeded by ``seed``, the same on every
    backend; biases start at zero.
    """
    kernel_initializer = keras.initializers.get(initializer)
    layers = [keras.Input(shape=(n_in,), dtype=dtype)]
    for width in layer_widths(n_in, n_out, rank, design, before, after):
        layers.append(
            keras.layers.Dense(
                width, use_bias=use_bias, kernel_initializer="zeros", dtype=dtype
            )
        )
    model = keras.Sequential(layers)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        shape = tuple(layer.kernel.shape)
        kernel = initial_kernel(kernel_initializer, shape, rng)
        layer.kernel.assign(kernel.astype(dtype))
    return model


def bottleneck_for(a, rank, regime, use_bias, initializer, seed=None):
    """The rank-``rank`` network of ``regime``'s architecture and dtype for
    the (m, n) matrix ``a``: n inputs, m outputs; its weights drawn from
    ``seed`` (anything ``numpy.random.default_rng`` takes), by default the
    regime's."""
    layout = regime.architecture
    m, n = a.shape
    return build_bottleneck(
        n, m, rank, design=layout.design, before=layout.before, after=layout.after,
        use_bias=use_bias, initializer=initializer, dtype=regime.dtype,
        seed=regime.seed if seed is None else seed,
    )  # fmt: skip


def kernels(model):
    """The Dense kernels W_1 ... W_L of ``model`` as float64 arrays."""
    return [
        np.asarray(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float64)
        for layer in model.layers
    ]


def learned_matrix(model):
    """The (m, n) matrix B the trained network applies to x.

    For an affine network f(x) = B x + c, B e_j = f(e_j) - f(0): the response to
    each basis vector minus the response to zero, so biases cancel. The model
    is called eagerly: ``predict`` would trace a function for every new model.
    """
    n_in = model.inputs[0].shape[-1]
    dtype = model.inputs[0].dtype
    inputs = np.concatenate([np.eye(n_in), np.zeros((1, n_in))]).astype(dtype)
    response = np.asarray(keras.ops.convert_to_numpy(model(inputs)), np.float64)
    return (response[:-1] - response[-1]).T


def rounding_scale(model):
    """The size that float rounding in the network's map is relative to.

    The larger of the product of the layers' spectral norms (the matrix
    product's rounding) and sqrt(n) times the output at zero (the biases,
    which :func:`learned_matrix` subtracts). A network trained towards the
    zero map keeps weights of ordinary size, so its rounding residue must not
    be measured against the residue's own largest singular value.
    """
    weights = kernels(model)
    product = float(np.prod([np.linalg.norm(w, 2) for w in weights]))
    n_in = weights[0].shape[0]
    zero = np.zeros((1, n_in), dtype=model.inputs[0].dtype)
    offset = np.asarray(keras.ops.convert_to_numpy(model(zero)), np.float64)
    return max(product, float(np.sqrt(n_in) * np.linalg.norm(offset)))


def rank_check(matrix, rank, dtype, scale):
    """The paper's rank check (section 4.1): (numerical rank, failure message).

    A k-wide bottleneck can only compute a map of rank <= k, so a larger
    numerical rank means the extraction or the network is wrong; the message
    is None when the check passes. The tolerance uses the epsilon of
    ``dtype``, the precision the network computed in, and ``scale``
    (:func:`rounding_scale`).
    """
    found = numerical_rank(matrix, eps=np.finfo(dtype).eps, scale=scale)
    if found <= rank:
        return found, None
    return found, (
        f"learned matrix has numerical rank {found}, above its bottleneck width "
        f"{rank}: the network is not a rank-{rank} map"
    )
