import numpy as np
import pytest
from PIL import Image

from lowrank.colour import rgb_to_ycbcr, ycbcr_to_rgb
from lowrank.decomposition.svd import SVD, thin_svd
from lowrank.evaluation.block_streams import StreamError
from lowrank.evaluation.svd_streams import (
    CHANNEL_LAYOUT,
    HEADER,
    PRECISIONS,
    TERM_OVERHEAD_BITS,
    YCBCR,
    allocated_ranks,
    best_allocation,
    decode_svd,
    encode_allocated,
    encode_entropy_coded,
    encode_svd,
    highest_rank_within,
    stream_bytes,
)


@pytest.fixture
def image():
    rows, cols = np.mgrid[0:24, 0:32]
    return 0.5 + 0.4 * np.sin(rows / 5.0) * np.cos(cols / 7.0)


@pytest.fixture
def colour_stack():
    rng = np.random.default_rng(4)
    base = rng.random((20, 16))
    # Mostly luma, some chroma of its own.
    return np.clip(
        np.stack([base, 0.9 * base + 0.1 * rng.random((20, 16)), 0.8 * base + 0.1]),
        0.0,
        1.0,
    )


def test_header_is_twenty_bytes():
    assert HEADER.size == 20 and CHANNEL_LAYOUT.size == 15


@pytest.mark.parametrize("fmt", ["f32", "f16", "q8"])
def test_a_streams_length_is_known_before_it_is_encoded(colour_stack, fmt):
    decompositions = [thin_svd(channel) for channel in colour_stack]
    for rank in (1, 6, 15):
        data = encode_svd(decompositions, rank, fmt)
        assert stream_bytes(fmt, 3, 20, 16, rank) == len(data)
        highest = highest_rank_within(fmt, 3, 20, 16, len(data))
        assert highest == rank  # one more term would not fit
    assert highest_rank_within(fmt, 3, 20, 16, HEADER.size - 1) == 0


def test_float_formats_count_bits_and_stay_close(image):
    d = thin_svd(image)
    exact = d.truncate(4)
    for fmt, bits_per_number, tolerance in (("f32", 32, 1e-6), ("f16", 16, 1e-2)):
        data = encode_svd([d], 4, fmt)
        assert 8 * len(data) == 8 * HEADER.size + 4 * (24 + 32 + 1) * bits_per_number
        assert np.abs(decode_svd(data)[0] - exact).max() < tolerance


def test_eight_bit_factors(image):
    d = thin_svd(image)
    data = encode_svd([d, d], 3, "q8")  # two channels
    per_channel = 8 * 3 * (24 + 32) + 32 * 3 + 4 * 32 * 3
    assert 8 * len(data) == 8 * HEADER.size + 2 * per_channel
    decoded = decode_svd(data)
    assert decoded.shape == (2, 24, 32)
    assert np.abs(decoded - d.truncate(3)).max() < 0.02
    with pytest.raises(ValueError, match="format"):
        encode_svd([d], 3, "q4")
    with pytest.raises(ValueError, match="not a lowrank SVD stream"):
        decode_svd(b"JFIF" + data[4:])


@pytest.mark.filterwarnings("error")  # a constant row must not divide by a zero step
def test_eight_bit_grid_keeps_each_rows_ends_and_constant_rows():
    u = np.array([[0.5, 0.25], [-0.5, 0.25], [0.125, 0.25]])  # second column constant
    vt = np.array([[1.0, -1.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
    d = SVD(u, np.array([2.0, 1.0]), vt)
    decoded = decode_svd(encode_svd([d], 2, "q8"))[0]
    np.testing.assert_allclose(decoded, d.truncate(2), atol=1.0 / 255)
    # The grid's ends are stored, so rows whose entries lie on them decode exactly.
    two_level = SVD(np.array([[1.0], [-1.0]]), np.array([1.0]), np.array([[0.5, -0.5]]))
    np.testing.assert_array_equal(
        decode_svd(encode_svd([two_level], 1, "q8"))[0], two_level.truncate(1)
    )


def test_a_ycbcr_stream_decodes_to_rgb(colour_stack):
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(colour_stack)]
    plain = decode_svd(encode_svd(ycc, 16, "f32"))
    rgb = decode_svd(encode_svd(ycc, 16, "f32", YCBCR))
    np.testing.assert_allclose(rgb, ycbcr_to_rgb(plain), atol=1e-12)
    np.testing.assert_allclose(rgb, colour_stack, atol=1e-5)  # full rank


@pytest.mark.parametrize("bits", [4, 5, 6, 8])
def test_packed_codes_decode_within_half_a_step(colour_stack, bits):
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(colour_stack)]
    ranks, widths = (5, 2, 3), (bits, bits, bits)
    data = encode_allocated(ycc, ranks, widths)
    codes = sum(bits * k * (20 + 16) for k in ranks)
    others = sum(TERM_OVERHEAD_BITS * k for k in ranks)
    padding = 8 * len(data) - 8 * (HEADER.size + CHANNEL_LAYOUT.size) - codes - others
    assert 0 <= padding <= 6 * 7
    decoded = rgb_to_ycbcr(decode_svd(data))
    for channel, d, k in zip(decoded, ycc, ranks):
        u, vt = d.u[:, :k], d.vt[:k]
        # Each factor entry within half a step of its row's grid.
        bound = 0.5 * sum(
            d.s[i] * (np.ptp(u[:, i]) * np.abs(vt[i]).max()
                      + np.ptp(vt[i]) * np.abs(u[:, i]).max()) / (2**bits - 1)
            for i in range(k)
        )  # fmt: skip
        assert np.abs(channel - d.truncate(k)).max() <= bound * 1.01 + 1e-12


def test_allocation_fits_the_budget_and_spends_it_on_luma_first(colour_stack):
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(colour_stack)]
    for budget in (2_000, 6_000, 20_000):
        for luma, chroma in PRECISIONS:
            widths = (luma, chroma, chroma)
            ranks = allocated_ranks(ycc, budget, widths)
            assert 8 * len(encode_allocated(ycc, ranks, widths)) <= budget
            assert ranks[0] >= ranks[1] and ranks[0] >= ranks[2]
    # A budget for one more term than fits gives it to the channel that gains most.
    assert allocated_ranks(ycc, 8 * 35 + 42 + 160 + 8 * 36, (8, 8, 8)) == (1, 0, 0)


def test_best_allocation_keeps_the_widths_that_decode_closest(colour_stack):
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(colour_stack)]
    budget = 8 * len(encode_svd(ycc, 4, "q8"))
    data, decoded, ranks, widths = best_allocation(ycc, colour_stack, budget)
    assert 8 * len(data) <= budget
    np.testing.assert_array_equal(decoded, decode_svd(data))
    assert encode_allocated(ycc, ranks, widths) == data

    def error(candidate):
        ranks = allocated_ranks(ycc, budget, candidate)
        picture = decode_svd(encode_allocated(ycc, ranks, candidate))
        return np.sum((np.clip(picture, 0, 1) - colour_stack) ** 2)

    chosen = error(widths)
    assert all(chosen <= error((y, c, c)) for y, c in PRECISIONS)


def test_the_entropy_coded_twin_decodes_to_the_same_picture_in_fewer_bits():
    with Image.open("resources/images/grace_hopper.jpg") as photo:
        rgb = np.asarray(photo.convert("RGB").crop((64, 64, 320, 320)), np.float64)
    picture = np.moveaxis(rgb / 255, -1, 0)
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(picture)]
    data, decoded, ranks, widths = best_allocation(ycc, picture, 8 * 12000)
    coded = encode_entropy_coded(ycc, ranks, widths)
    assert len(coded) < len(data)
    np.testing.assert_array_equal(decode_svd(coded), decoded)
    for index in range(0, len(coded), max(1, len(coded) // 200)):
        damaged = bytearray(coded)
        damaged[index] ^= 0xA5
        with pytest.raises((StreamError, ValueError)):
            decode_svd(bytes(damaged))
    for length in (len(coded) - 1, len(coded) // 2, HEADER.size + 2):
        with pytest.raises(StreamError):
            decode_svd(coded[:length])
