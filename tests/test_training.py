import keras
import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.inputs.matrices import gapped_spectrum_matrix
from lowrank.training import backprop
from lowrank.training import train as training
from lowrank.training.backend import backend_name
from lowrank.training.exact_training import rotated_target, train_exact, trained_span
from lowrank.training.network import build_bottleneck, kernels
from lowrank.training.paper_training import (
    adam_update,
    batch_order,
    expected_loss,
    mse_gradients,
    random_inputs,
)
from lowrank.training.regimes import (
    INPUT_DISTRIBUTIONS,
    Architecture,
    ExactRegime,
    PaperRegime,
    regime_from_settings,
)
from lowrank.training.train import train


def delta_2(matrix, learned, rank):
    d = thin_svd(matrix)
    return np.linalg.norm(matrix - learned, 2) / d.s[0] - d.error_2(rank) / d.s[0]


def spectrum_matrix(n, rank, ratio):
    return gapped_spectrum_matrix(n, rank, ratio)[0]


@pytest.mark.parametrize("design", ["paper", "minimal", "pyramid"])
def test_exact_regime_reaches_the_svd(design):
    matrix = np.random.default_rng(0).uniform(size=(10, 8))
    regime = ExactRegime(architecture=Architecture(design=design))
    for rank in (1, 3, 5):
        result = train(matrix, rank, regime)
        assert result.converged and result.numerical_rank == rank
        assert abs(delta_2(matrix, result.matrix, rank)) < 1e-9
        np.testing.assert_allclose(
            result.matrix, thin_svd(matrix).truncate(rank), atol=1e-8
        )


def test_exact_loss_is_the_relative_squared_frobenius_error():
    matrix = np.random.default_rng(1).standard_normal((6, 6))
    result = train(matrix, 2, ExactRegime(init_gain=1.7))
    d = thin_svd(matrix)
    assert result.loss[-1] == pytest.approx(
        (d.error_fro(2) / np.linalg.norm(matrix)) ** 2
    )
    assert np.all(np.diff(result.loss) <= 1e-12)  # restarts keep it monotone


def test_momentum_beats_plain_sweeps_on_crowded_singular_values():
    matrix = spectrum_matrix(60, 10, ratio=0.99)
    plain = train(matrix, 10, ExactRegime(momentum=False, max_steps=5000))
    fast = train(matrix, 10, ExactRegime())
    assert fast.converged and abs(delta_2(matrix, fast.matrix, 10)) < 1e-10
    assert fast.steps * 3 < plain.steps


def test_exact_training_calls_no_decomposition(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the exact regime must not decompose A")

    for module, name in [
        (np.linalg, "svd"), (np.linalg, "eig"), (np.linalg, "eigh"),
        (keras.ops, "svd"), (keras.ops, "eig"), (keras.ops, "eigh"),
    ]:  # fmt: skip
        monkeypatch.setattr(module, name, refuse)
    matrix = spectrum_matrix(20, 4, ratio=0.9)
    keras.utils.set_random_seed(0)
    model = build_bottleneck(
        20, 20, 4, use_bias=False, initializer="orthogonal", dtype="float64"
    )
    loss, converged, sweeps = train_exact(model, matrix, ExactRegime())
    assert converged and sweeps >= loss.size
    monkeypatch.undo()
    product = np.linalg.multi_dot(kernels(model)).T
    assert abs(delta_2(matrix, product, 4)) < 1e-10


def test_square_end_layers_keep_their_initialisation():
    widths = build_bottleneck(
        6, 6, 2, design="custom", before=[6, 6], after=[6], use_bias=False,
        initializer=keras.initializers.Orthogonal(seed=0), dtype="float64",
    )  # fmt: skip
    initial = kernels(widths)
    assert trained_span(initial) == (2, 4)  # 6x6, 6x6 | 6x2, 2x6 | 6x6
    matrix = np.random.default_rng(5).standard_normal((6, 6))
    loss, converged, _ = train_exact(widths, matrix, ExactRegime())
    trained = kernels(widths)
    for index in (0, 1):
        np.testing.assert_array_equal(trained[index], initial[index])
    product = np.linalg.multi_dot(trained).T
    # The stopping rule (loss change <= 1e-12 relative) pins the product to
    # about 1e-8 and its error, second order in that, to float precision.
    np.testing.assert_allclose(product, thin_svd(matrix).truncate(2), atol=1e-8)
    assert abs(delta_2(matrix, product, 2)) < 1e-12


def test_rotated_target_solves_the_same_problem():
    rng = np.random.default_rng(6)
    q = np.linalg.qr(rng.standard_normal((5, 5)))[0] * 2.0
    middle = [rng.standard_normal((5, 2)), rng.standard_normal((2, 5))]
    target = rng.standard_normal((5, 5))
    rotated, factor = rotated_target([q, *middle], 1, 3, target)
    whole = np.sum((q @ middle[0] @ middle[1] - target) ** 2)
    part = np.sum((middle[0] @ middle[1] - rotated) ** 2)
    assert whole == pytest.approx(factor * part) and factor == pytest.approx(4.0)


@pytest.mark.parametrize("use_bias", [True, False])
def test_compiled_gradients_equal_the_matrix_form_oracle(use_bias):
    rng = np.random.default_rng(7)
    weights = [rng.standard_normal(shape) for shape in [(5, 5), (5, 2), (2, 4)]]
    biases = [rng.standard_normal(w.shape[1]) for w in weights] if use_bias else None
    x, y = rng.standard_normal((7, 5)), rng.standard_normal((7, 4))
    zero_biases = [np.zeros(w.shape[1]) for w in weights]
    ours = mse_gradients(weights, biases or zero_biases, x, y, np.full(7, 1 / 7))
    oracle = backprop.mse_gradients(weights, biases, x, y)
    for mine, theirs in zip(ours[0], oracle[0], strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(mine), theirs, rtol=1e-10)
    if use_bias:
        for mine, theirs in zip(ours[1], oracle[1], strict=True):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(mine), theirs, rtol=1e-10
            )


def test_adam_update_is_keras_adam():
    rng = np.random.default_rng(8)
    start = rng.standard_normal((3, 2)).astype("float32")
    variable = keras.Variable(start, dtype="float32")
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    ours = (keras.ops.convert_to_tensor(start),)
    first, second = (keras.ops.zeros_like(ours[0]),), (keras.ops.zeros_like(ours[0]),)
    for step in range(1, 6):
        grad = keras.ops.convert_to_tensor(rng.standard_normal((3, 2)), "float32")
        optimizer.apply([grad], [variable])
        ours, first, second = adam_update(ours, (grad,), first, second, step, 0.01)
    # The updates, not the values, so that float32 rounding of the values
    # does not hide a wrong formula.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours[0]) - start, variable.numpy() - start, rtol=1e-5
    )


def test_batch_order_covers_each_sample_once_per_epoch():
    order, weight = batch_order(np.random.default_rng(0), samples=70, batch_size=32)
    assert order.shape == weight.shape == (3, 32)
    live = weight > 0
    assert sorted(order[live]) == list(range(70))
    np.testing.assert_allclose(weight.sum(axis=1), 1.0)  # each batch's mean
    assert live.sum(axis=1).tolist() == [32, 32, 6]


def test_exact_regime_is_deterministic_and_survives_a_zero_matrix():
    matrix = np.random.default_rng(2).uniform(size=(5, 5))
    first, again = train(matrix, 2, ExactRegime()), train(matrix, 2, ExactRegime())
    np.testing.assert_array_equal(first.matrix, again.matrix)
    zero = train(np.zeros((4, 4)), 1, ExactRegime())
    np.testing.assert_allclose(zero.matrix, 0.0, atol=1e-12)


def test_paper_regime_reproduces_its_gap():
    matrix = np.random.default_rng(3).uniform(size=(10, 10))
    regime = PaperRegime()
    result = train(matrix, 1, regime)
    assert abs(delta_2(matrix, result.matrix, 1)) < 0.005
    assert result.steps == 3130 and result.loss.size == 3130 // 7
    assert result.loss[-1] < 0.1 * result.loss[0]
    assert delta_2(matrix, train(matrix, 4, regime).matrix, 4) > 0.01


def test_paper_regime_is_deterministic():
    matrix = np.random.default_rng(9).uniform(size=(6, 6))
    regime = PaperRegime(samples=200, epochs=2)
    first, again = train(matrix, 2, regime), train(matrix, 2, regime)
    np.testing.assert_array_equal(first.matrix, again.matrix)
    np.testing.assert_array_equal(first.loss, again.loss)


@pytest.mark.parametrize(
    ("design", "widths"), [("paper", [8, 5, 8]), ("pyramid", [5, 3, 6, 8])]
)
def test_padded_loop_trains_the_same_network(design, widths):
    matrix = np.random.default_rng(5).uniform(size=(8, 8))
    regime = PaperRegime(
        samples=300, epochs=3, use_bias=True, architecture=Architecture(design)
    )
    alone, padded = train(matrix, 2, regime), train(matrix, 2, regime, widths)
    np.testing.assert_allclose(padded.matrix, alone.matrix, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(padded.loss, alone.loss, rtol=1e-4)
    assert padded.model.count_params() == alone.model.count_params()
    with pytest.raises(ValueError, match="narrower"):
        train(matrix, 3, regime, [8, 2, 8] if design == "paper" else [4, 2, 4, 8])


def test_padded_exact_iterations_reach_the_same_optimum():
    matrix = spectrum_matrix(9, 3, 0.8)
    regime = ExactRegime(architecture=Architecture("pyramid"))
    alone, padded = train(matrix, 2, regime), train(matrix, 2, regime, [6, 5, 4, 9])
    assert padded.steps == alone.steps
    # The Gram solves amplify rounding (summed in another order when padded)
    # to about 1e-8 of the loss; both stop about 2e-8 from A_k (the stopping
    # rule's reach), with the same error to float precision.
    np.testing.assert_allclose(padded.loss, alone.loss, rtol=1e-6)
    truncation = thin_svd(matrix).truncate(2)
    for result in (alone, padded):
        np.testing.assert_allclose(result.matrix, truncation, atol=1e-7)
        assert abs(delta_2(matrix, result.matrix, 2)) < 1e-12


def test_a_jobs_ranks_share_one_compiled_loop(tmp_path):
    from lowrank.records import InputMatrix, write_matrix
    from lowrank.training.exact_training import compiled_iterations
    from lowrank.training.paper_training import compiled_training

    matrix = np.random.default_rng(6).uniform(size=(1, 7, 7))
    write_matrix(tmp_path / "m.h5", InputMatrix(matrix, "m", "matrix", "test", "m"))
    settings = {"samples": 64, "epochs": 1, "learning_rate": 0.00123}
    lines = list(
        training.train_ranks(tmp_path / "m.h5", [1, 3, 6], "paper", settings, tmp_path)
    )
    assert lines[0] == f"trained on: CPU ({backend_name()})"
    assert [line.split(":")[0] for line in lines[1:]] == ["rank 1", "rank 3", "rank 6"]
    run = compiled_training(0.00123, False, INPUT_DISTRIBUTIONS["uniform"])
    exact = {"steps_per_call": 7, "tolerance": 1e-9}
    lines = training.train_ranks(tmp_path / "m.h5", [2, 5], "exact", exact, tmp_path)
    assert sum(line.startswith("rank ") for line in lines) == 2
    iterations = compiled_iterations(7, 1e-10, True)
    if hasattr(run, "experimental_get_tracing_count"):  # TensorFlow
        assert run.experimental_get_tracing_count() == 1
        assert iterations.experimental_get_tracing_count() == 1


def test_divergence_is_a_result_naming_the_setting_to_change():
    matrix = np.random.default_rng(4).uniform(size=(6, 6))
    regime = PaperRegime(samples=256, epochs=2, learning_rate=1e10)
    result = train(matrix * 1e30, 2, regime)
    assert result.status == "diverged" and "learning_rate" in result.message
    assert np.isnan(result.matrix).all() and not np.all(np.isfinite(result.loss))
    assert result.steps == result.loss.size * result.loss_every


def test_exact_regime_out_of_steps_is_not_converged():
    matrix, _ = gapped_spectrum_matrix(12, 3, 0.999)
    result = train(matrix, 3, ExactRegime(max_steps=10, tolerance=0.0))
    assert result.status == "not-converged" and "max_steps 10" in result.message
    assert result.steps == 10 and np.isfinite(result.matrix).all()


def test_zero_target_passes_the_rank_check_with_biases():
    # Biases of ordinary size and a product near zero: the rounding of
    # f(e_j) - f(0) once made this "rank 48" (issue 12).
    regime = PaperRegime(inputs="gaussian", use_bias=True, samples=2000, epochs=2)
    result = train(np.zeros((48, 64)), 10, regime)
    assert result.status == "ok" and result.numerical_rank <= 10


def test_failed_rank_check_is_a_result(monkeypatch):
    monkeypatch.setattr(training, "learned_matrix", lambda model: np.eye(6))
    result = train(np.eye(6), 2, ExactRegime())
    assert result.status == "rank-check-failed" and result.numerical_rank == 6
    assert "bottleneck width 2" in result.message


def test_regime_from_settings():
    regime = regime_from_settings(
        "exact", {"max_steps": 50, "architecture": {"design": "custom", "before": [4]}}
    )
    assert regime.max_steps == 50 and regime.architecture.before == (4,)
    with pytest.raises(TypeError):
        regime_from_settings("paper", {"learning_rat": 1.0})


@pytest.mark.parametrize("distribution", sorted(INPUT_DISTRIBUTIONS))
def test_expected_loss_is_the_mean_squared_error_over_the_inputs(distribution):
    rng = np.random.default_rng(11)
    shapes = [(4, 4), (4, 2), (2, 3)]
    kernels = [rng.standard_normal(shape) for shape in shapes]
    biases = [rng.standard_normal(shape[1]) for shape in shapes]
    target = rng.standard_normal((3, 4))
    x = random_inputs(rng, distribution, (400_000, 4))
    output = x
    for kernel, bias in zip(kernels, biases):
        output = output @ kernel + bias
    sampled = np.mean((output - x @ target.T) ** 2)
    expected = expected_loss(
        [keras.ops.convert_to_tensor(k) for k in kernels],
        [keras.ops.convert_to_tensor(b) for b in biases],
        keras.ops.convert_to_tensor(target),
        INPUT_DISTRIBUTIONS[distribution],
    )
    assert float(expected) == pytest.approx(sampled, rel=0.01)


def test_uniform_inputs_train_and_unknown_ones_are_named():
    matrix = np.random.default_rng(3).uniform(size=(6, 6))
    uniform = train(matrix, 2, PaperRegime(inputs="uniform", samples=500, epochs=2))
    gaussian = train(matrix, 2, PaperRegime(inputs="gaussian", samples=500, epochs=2))
    assert not np.allclose(uniform.matrix, gaussian.matrix)
    assert uniform.settings["inputs"] == "uniform"
    with pytest.raises(ValueError, match="regimes.paper.inputs"):
        regime_from_settings("paper", {"inputs": "cauchy"})


def test_each_paper_network_draws_its_own_weights_and_vectors():
    """Independent streams per (matrix, rank), weights apart from vectors
    (lowrank.training.paper_training.network_streams)."""
    from lowrank.training.paper_training import DATA_STREAM, network_streams

    a, b = np.eye(3), 2 * np.eye(3)

    def draw(seed):
        return np.random.default_rng(seed).random(4)

    draws = [
        draw(network_streams(0, a, 1)), draw(network_streams(0, a, 2)),
        draw(network_streams(0, b, 1)), draw(network_streams(0, a, DATA_STREAM)),
        draw(network_streams(1, a, 1)),
    ]  # fmt: skip
    assert len({tuple(d) for d in draws}) == len(draws)
    np.testing.assert_array_equal(draws[0], draw(network_streams(0, a, 1)))
