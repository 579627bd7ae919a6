"""Job memory and start order from input sizes (lowrank.job_sizes)."""

from lowrank.job_sizes import (
    REMOTE_PIXELS_GUESS,
    estimated_pixels,
    input_job_mb,
    start_priority,
    training_mb,
)


def test_an_undecoded_image_is_eight_pixels_a_byte_within_the_limit():
    assert estimated_pixels(1000) == 8000
    assert estimated_pixels(1000, max_pixels=500) == 500
    assert estimated_pixels(0) == 1
    assert estimated_pixels(None) == REMOTE_PIXELS_GUESS
    assert estimated_pixels(None, max_pixels=10_000) == 10_000


def test_an_input_job_holds_sixteen_float64_copies_and_doubles_on_retry():
    assert input_job_mb(100) == 500  # small inputs: the floor
    megapixels = 10
    copies_mb = 16 * 8 * megapixels
    assert input_job_mb(megapixels * 1_000_000) == 300 + copies_mb
    assert input_job_mb(megapixels * 1_000_000, attempt=2) == 2 * (300 + copies_mb)


def test_a_training_adds_its_vectors_and_matrices_to_the_framework():
    assert training_mb(pixels=36, side=6, samples=0) == 2000
    # The paper regime: 100,000 vectors of 400 floats, a 400x400 photo.
    assert training_mb(400 * 400, 400, 100_000) == 2000 + 640 + 10
    assert training_mb(400 * 400, 400, 100_000, attempt=3) == 3 * 2650


def test_every_stage_starts_before_the_next_whatever_the_sizes():
    largest_evaluation = start_priority("evaluate", 10**9, 1000)
    assert start_priority("train", 1, 1) > largest_evaluation
    assert largest_evaluation < start_priority("train", 1, 0)
    largest_sweep = start_priority("rate_distortion", 10**9, 1000)
    assert start_priority("evaluate", 1, 1) > largest_sweep


def test_within_a_stage_the_larger_input_starts_first():
    assert start_priority("train", 10**6, 10) > start_priority("train", 10**4, 10)
    assert start_priority("train", 10**4, 20) > start_priority("train", 10**4, 1)
