import numpy as np
import pytest

from lowrank.colour import eight_bit_image, rgb_to_ycbcr
from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.block_streams import BlockCodec
from lowrank.evaluation.codecs import (
    ANCHORS,
    encoder,
    image_codec,
    rate_distortion_ranks,
    rate_distortion_rows,
)
from lowrank.evaluation.metrics import psnr
from lowrank.evaluation.svd_streams import (
    PRECISIONS,
    decode_svd,
    encode_svd,
    stream_bytes,
)


@pytest.fixture
def image():
    rows, cols = np.mgrid[0:24, 0:32]
    return 0.5 + 0.4 * np.sin(rows / 5.0) * np.cos(cols / 7.0)


def test_stream_on_disk_decodes_to_what_was_measured(image, tmp_path):
    d = thin_svd(image)
    rows = rate_distortion_rows(image[np.newaxis], [d], [2], [])
    for fmt in ("f32", "f16", "q8"):
        path = tmp_path / f"factors.{fmt}"
        path.write_bytes(encode_svd([d], 2, fmt))
        (row,) = [r for r in rows if r["method"] == f"svd-{fmt}"]
        assert row["bits"] == 8 * path.stat().st_size
        decoded = decode_svd(path.read_bytes())
        assert psnr(image[np.newaxis], decoded) == pytest.approx(row["psnr"])


@pytest.mark.parametrize("codec", ANCHORS)
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
    assert ranks[0] == 1 and ranks[-1] == 23 and 7 in ranks
    rows = rate_distortion_rows(stack, [thin_svd(image)], [1, 2], [10, 90])
    methods = [row["method"] for row in rows]
    assert methods == (
        ["svd-f32"] * 2 + ["svd-f16"] * 2 + ["svd-q8"] * 2
        + [anchor for anchor in ANCHORS for _ in range(2)]
        + ["klt"] * len(BlockCodec.steps)
    )  # fmt: skip
    psnr = {(r["method"], r["rank"], r["quality"]): r["psnr"] for r in rows}
    assert psnr[("svd-f32", 2, None)] > psnr[("svd-f32", 1, None)]
    assert psnr[("jpeg", None, 90)] > psnr[("jpeg", None, 10)]
    assert all(row["bpp"] == row["bits"] / (24 * 32) for row in rows)


def test_svd_points_larger_than_the_raw_picture_are_left_out(image):
    raw_bits = 8 * image.size
    ranks = rate_distortion_ranks(image.shape)
    rows = rate_distortion_rows(image[np.newaxis], [thin_svd(image)], ranks, [])
    rows = [row for row in rows if row["rank"] is not None]
    assert rows and all(row["bits"] <= raw_bits for row in rows)
    highest = {}
    for row in rows:
        highest[row["method"]] = max(highest.get(row["method"], 0), row["rank"])
    # Fewer bits a factor entry, higher ranks fit under the raw size.
    assert highest["svd-f32"] < highest["svd-f16"] < highest["svd-q8"] < ranks[-1]


@pytest.mark.parametrize("codec", ANCHORS)
def test_image_codec_encodes_what_a_display_shows(codec):
    flat = np.full((1, 16, 16), 1.0)
    flat[0, :, :8] = 0.0
    beyond = np.where(flat > 0.5, 1.5, -0.5)
    decoded, _ = image_codec(beyond, codec, 100)
    np.testing.assert_array_equal(decoded, flat)  # black and white survive quality 100


def test_rate_distortion_ranks_of_a_large_image():
    ranks = rate_distortion_ranks((512, 600), channels=3)
    assert ranks[0] == 1 and ranks[-1] == 511
    assert all(type(rank) is int for rank in ranks)
    assert 18 <= len(ranks) <= 24
    assert np.divide(ranks[1:], ranks[:-1]).max() <= 2  # log-spaced, no gaps
    # Each format's curve ends at the last rank that fits the raw picture.
    raw = 3 * 512 * 600
    for fmt in ("f32", "f16", "q8"):
        fitting = [r for r in ranks if stream_bytes(fmt, 3, 512, 600, r) <= raw]
        assert stream_bytes(fmt, 3, 512, 600, fitting[-1] + 1) > raw
    assert rate_distortion_ranks((2, 2)) == [1]


def test_rate_distortion_rows_have_the_documented_keys(image):
    (row,) = rate_distortion_rows(image[np.newaxis], [thin_svd(image)], [2], [])[:1]
    assert set(row) == {
        "method", "rows", "cols", "rank", "ranks", "factor_bits", "encoder", "quality",
        "bits", "bpp",
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
    assert [r["rank"] for r in allocated] == [2, 4]
    equal = {r["rank"]: r for r in rows if r["method"] == "svd-q8"}
    for row in allocated:
        luma, blue, red = map(int, row["ranks"].split("/"))
        assert luma > blue + red
        widths = tuple(map(int, row["factor_bits"].split("/")))
        assert widths[1] == widths[2] and widths[:2] in PRECISIONS
        # Within the equal-rank stream's bits, with less error.
        assert row["bits"] <= equal[row["rank"]]["bits"]
        assert row["psnr"] > equal[row["rank"]]["psnr"]
    # Each allocated point's entropy-coded twin: the same picture, its own bits.
    twins = [r for r in rows if r["method"] == "svd-ec"]
    assert [r["rank"] for r in twins] == [2, 4]
    for twin, row in zip(twins, allocated):
        assert {
            k: v for k, v in twin.items() if k not in ("method", "bits", "bpp")
        } == {k: v for k, v in row.items() if k not in ("method", "bits", "bpp")}
        assert twin["bits"] != row["bits"] and twin["bpp"] == twin["bits"] / (24 * 32)


def test_a_ycbcr_stack_is_measured_as_its_rgb_picture():
    rng = np.random.default_rng(5)
    rgb = np.clip(rng.random((3, 20, 24)) * 0.2 + rng.random((20, 24)) * 0.8, 0, 1)
    ycc = rgb_to_ycbcr(rgb)
    as_rgb = rate_distortion_rows(rgb, [thin_svd(c) for c in rgb], [3], [50])
    as_ycc = rate_distortion_rows(
        ycc, [thin_svd(c) for c in ycc], [3], [50], mode="ycbcr"
    )
    by_method = {r["method"]: r for r in as_rgb}
    by_point = {(r["method"], r["quality"]): r for r in as_rgb}
    for row in as_ycc:
        if row["rank"] is None:  # the same picture given to the codecs
            rgb_row = by_point[(row["method"], row["quality"])]
            assert row["bits"] == rgb_row["bits"]
            assert row["psnr"] == pytest.approx(rgb_row["psnr"])
    # Equal ranks of Y, Cb, Cr against equal ranks of R, G, B: same bits.
    ycc_q8 = next(r for r in as_ycc if r["method"] == "svd-q8")
    assert ycc_q8["bits"] == by_method["svd-q8"]["bits"]
    assert ycc_q8["psnr"] != by_method["svd-q8"]["psnr"]


def test_codec_rows_name_their_encoder_version_and_settings(image):
    rows = rate_distortion_rows(image[np.newaxis], [thin_svd(image)], [2], [50])
    encoders = {row["method"]: row["encoder"] for row in rows}
    # Every row names what made it, the SVD streams included.
    assert encoders["svd-q8"].startswith("lowrank svd_streams v")
    assert (
        encoders["jpeg"].startswith("Pillow ") and "optimize=True" in encoders["jpeg"]
    )
    # The image is gray: no chroma subsampling ran, and the rows name none.
    assert "subsampling" not in encoders["jpeg"] + encoders["avif-444-psnr"]
    assert encoders["avif-444-psnr"].endswith("speed=6, tune=psnr")
    assert encoder("avif-444-psnr").endswith("speed=6, subsampling=4:4:4, tune=psnr")
    assert "aom" in encoders["avif"] and encoders["jxl"].endswith("effort=7")


def test_optimised_huffman_tables_give_the_same_pixels_in_fewer_bits(image):
    import io

    from PIL import Image

    picture = eight_bit_image(image[np.newaxis])
    sizes, pixels = [], []
    for optimize in (False, True):
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=75, optimize=optimize)
        sizes.append(len(buffer.getvalue()))
        pixels.append(np.asarray(Image.open(buffer)))
    decoded, bits = image_codec(image[np.newaxis], "jpeg", 75)
    assert bits == 8 * sizes[1] < 8 * sizes[0]
    np.testing.assert_array_equal(pixels[0], pixels[1])
    np.testing.assert_allclose(decoded[0], pixels[1] / 255.0)
