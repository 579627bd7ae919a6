import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.codecs import (
    HEADER,
    IMAGE_CODECS,
    decode_svd,
    encode_svd,
    image_codec,
    rate_distortion_ranks,
    rate_distortion_rows,
)
from lowrank.evaluation.metrics import psnr


@pytest.fixture
def image():
    rows, cols = np.mgrid[0:24, 0:32]
    return 0.5 + 0.4 * np.sin(rows / 5.0) * np.cos(cols / 7.0)


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


def test_stream_on_disk_decodes_to_what_was_measured(image, tmp_path):
    d = thin_svd(image)
    rows = rate_distortion_rows(image[np.newaxis], [d], [5], [])
    for fmt in ("f32", "f16", "q8"):
        path = tmp_path / f"factors.{fmt}"
        path.write_bytes(encode_svd([d], 5, fmt))
        (row,) = [r for r in rows if r["method"] == f"svd-{fmt}"]
        assert row["bits"] == 8 * path.stat().st_size
        decoded = decode_svd(path.read_bytes())
        assert psnr(image[np.newaxis], decoded) == pytest.approx(row["psnr"])


@pytest.mark.parametrize("codec", sorted(IMAGE_CODECS))
def test_image_codec_round_trip_counts_file_bytes(image, codec):
    decoded, bits = image_codec(image[np.newaxis], codec, 90)
    assert decoded.shape == (1, 24, 32) and bits % 8 == 0 and bits > 8 * 30
    assert np.abs(decoded - image).max() < 0.1
    rgb, _ = image_codec(np.stack([image] * 3), codec, 50)
    assert rgb.shape == (3, 24, 32)
    _, fewer = image_codec(image[np.newaxis], codec, 10)
    assert fewer < bits


def test_rate_distortion_rows_cover_formats_and_qualities(image):
    stack = image[np.newaxis]
    ranks = rate_distortion_ranks(image.shape, configured=[7])
    assert ranks[:10] == list(range(1, 11)) and ranks[-1] == 23 and 7 in ranks
    rows = rate_distortion_rows(stack, [thin_svd(image)], [1, 5], [10, 90])
    methods = [row["method"] for row in rows]
    assert methods == (
        ["svd-f32"] * 2 + ["svd-f16"] * 2 + ["svd-q8"] * 2
        + ["jpeg"] * 2 + ["webp"] * 2 + ["avif"] * 2 + ["jxl"] * 2
    )  # fmt: skip
    psnr = {(r["method"], r["rank"], r["quality"]): r["psnr"] for r in rows}
    assert psnr[("svd-f32", 5, None)] > psnr[("svd-f32", 1, None)]
    assert psnr[("jpeg", None, 90)] > psnr[("jpeg", None, 10)]
    assert all(row["bpp"] == row["bits"] / (24 * 32) for row in rows)


@pytest.mark.filterwarnings("error")  # a constant row must not divide by a zero step
def test_eight_bit_grid_keeps_each_rows_ends_and_constant_rows():
    from lowrank.decomposition.svd import SVD

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


@pytest.mark.parametrize("codec", sorted(IMAGE_CODECS))
def test_image_codec_encodes_what_a_display_shows(codec):
    flat = np.full((1, 16, 16), 1.0)
    flat[0, :, :8] = 0.0
    beyond = np.where(flat > 0.5, 1.5, -0.5)
    decoded, _ = image_codec(beyond, codec, 100)
    np.testing.assert_array_equal(decoded, flat)  # black and white survive quality 100


def test_rate_distortion_ranks_of_a_large_image():
    ranks = rate_distortion_ranks((512, 600))
    assert ranks[:10] == list(range(1, 11)) and ranks[-1] == 511
    assert all(type(rank) is int for rank in ranks)
    assert 30 <= len(ranks) <= 40
    ratios = np.divide(ranks[10:], ranks[9:-1])
    assert ratios.max() < 1.3  # log-spaced above 10, no gaps
    assert rate_distortion_ranks((2, 2)) == [1]


def test_rate_distortion_rows_have_the_documented_keys(image):
    (row,) = rate_distortion_rows(image[np.newaxis], [thin_svd(image)], [2], [])[:1]
    assert set(row) == {
        "method", "rank", "ranks", "quality", "bits", "bpp",
        "psnr", "psnr_y", "ssim", "ms_ssim", "ssimulacra2",
    }  # fmt: skip
    assert 0 < row["ssim"] < 1


def test_colour_adds_the_allocated_ycbcr_curve_at_the_equal_rank_budgets():
    rng = np.random.default_rng(3)
    base = rng.random((24, 32))
    # Colour with little chroma: the allocation should spend most ranks on Y.
    stack = np.clip(np.stack([base, 0.9 * base + 0.05, 0.8 * base + 0.1]), 0, 1)
    rows = rate_distortion_rows(stack, [thin_svd(c) for c in stack], [2, 4], [50])
    allocated = [r for r in rows if r["method"] == "svd-ycc"]
    assert [r["rank"] for r in allocated] == [6, 12]
    for row in allocated:
        luma, blue, red = map(int, row["ranks"].split("/"))
        assert luma + blue + red == row["rank"] and luma > blue + red
    equal = {r["rank"]: r for r in rows if r["method"] == "svd-q8"}
    # Same rank-one terms in all, 12 header bytes more, less error.
    for row in allocated:
        assert row["bits"] == equal[row["rank"] // 3]["bits"] + 8 * 12
        assert row["psnr"] > equal[row["rank"] // 3]["psnr"]


def test_allocated_stream_decodes_from_its_bytes():
    from lowrank.evaluation.codecs import allocated_ranks, decode_svd, encode_allocated
    from lowrank.evaluation.colour import rgb_to_ycbcr, ycbcr_to_rgb

    stack = np.random.default_rng(4).random((3, 12, 10))
    ycc = [thin_svd(c) for c in rgb_to_ycbcr(stack)]
    ranks = allocated_ranks(ycc, 9)
    assert sum(ranks) == 9
    decoded = decode_svd(encode_allocated(ycc, ranks))
    assert decoded.shape == stack.shape
    truncated = ycbcr_to_rgb(np.stack([d.truncate(k) for d, k in zip(ycc, ranks)]))
    assert np.abs(decoded - truncated).max() < 0.02  # q8 rounding only
