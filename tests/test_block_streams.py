"""The block low-rank codec's streams: what the decoder reads is what the
encoder meant, bit for bit, and a damaged stream is refused."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lowrank.decomposition.svd import thin_svd
from lowrank.evaluation.block_streams import (
    BlockCodec,
    StreamError,
    decode_blocks,
    encode_blocks,
    encoded_picture,
    klt_basis,
)
from lowrank.evaluation.codecs import rate_distortion_rows
from lowrank.evaluation.metrics import psnr
from lowrank.inputs.layouts import block_matrix, from_block_matrix, laid_out, picture

PHOTO = "resources/images/grace_hopper.jpg"


@pytest.fixture(scope="module")
def photo():
    """A corner of the sample photograph, of odd sides (blocks at the edges
    are padded)."""
    rgb = np.asarray(Image.open(PHOTO).convert("RGB"), np.float64) / 255
    return np.moveaxis(rgb, -1, 0)[:, :101, :77]


@pytest.mark.parametrize(
    "options",
    [{}, {"subsampling": "4:2:0"}, {"block": 4, "basis_bits": 7},
     {"chroma_ratio": 2.0}, {"colour": False}],
)  # fmt: skip
def test_the_decoder_reads_the_encoders_picture_bit_for_bit(photo, options):
    data = encode_blocks(photo, 7, **options)
    assert np.array_equal(decode_blocks(data), encoded_picture(photo, 7, **options))
    assert encode_blocks(photo, 7, **options) == data  # deterministic


def test_a_gray_picture_is_one_plane(photo):
    gray = photo[:1]
    decoded = decode_blocks(encode_blocks(gray, 5))
    assert decoded.shape == gray.shape
    assert np.array_equal(decoded, encoded_picture(gray, 5))


def test_a_finer_step_costs_more_bits_for_less_error(photo):
    sizes, errors = [], []
    for step in (40, 14, 5, 2.5):
        data = encode_blocks(photo, step)
        sizes.append(len(data))
        errors.append(np.mean((decode_blocks(data) - photo) ** 2))
    assert sizes == sorted(sizes) and errors == sorted(errors, reverse=True)
    assert 10 * np.log10(1 / errors[-1]) > 40


def test_every_flipped_byte_and_every_truncation_is_refused(photo):
    data = encode_blocks(photo[:, :24, :24], 20)
    for index in range(len(data)):
        damaged = bytearray(data)
        damaged[index] ^= 0x5A
        with pytest.raises(StreamError):
            decode_blocks(bytes(damaged))
    for length in range(len(data)):
        with pytest.raises(StreamError):
            decode_blocks(data[:length])
    with pytest.raises(StreamError, match="truncated or extended"):
        decode_blocks(data + b"\0")


def test_the_block_matrix_is_the_blocks_and_its_svd_their_klt(photo):
    plane = photo[0]
    matrix = block_matrix(plane, 8)
    assert matrix.shape == (13 * 10, 64)
    assert np.array_equal(matrix[0], plane[:8, :8].ravel())
    assert np.array_equal(from_block_matrix(matrix, plane.shape, 8), plane)
    # The basis is the SVD's right singular vectors: rank k of the block
    # matrix is its projection on the first k of them.
    basis = klt_basis(matrix)
    truncated = thin_svd(matrix).truncate(5)
    assert np.allclose(matrix @ basis[:, :5] @ basis[:, :5].T, truncated)


@pytest.mark.parametrize("layout", ["whole", "blocks8", "blocks16"])
def test_a_layout_gives_the_picture_back(photo, layout):
    matrices = laid_out(photo, layout)
    side = {"whole": None, "blocks8": 8, "blocks16": 16}[layout]
    if side:
        rows = -(-101 // side) * -(-77 // side)
        assert matrices.shape == (3, rows, side * side)
    assert np.array_equal(picture(matrices, layout, photo.shape[1:]), photo)
    with pytest.raises(ValueError, match="layout must be one of"):
        laid_out(photo, "blocks7")


def test_the_block_codec_is_swept_with_its_encoder_named(photo):
    rows = rate_distortion_rows(photo, [thin_svd(c) for c in photo], [1], [50])
    block = [row for row in rows if row["method"] == "klt"]
    assert [row["quality"] for row in block] == list(BlockCodec.steps)
    assert all("constriction" in row["encoder"] for row in block)
    codec = BlockCodec()
    for row in block[:2]:
        assert row["bits"] == 8 * len(codec.encode(photo, row["quality"]))
    best = max(block, key=lambda row: row["bpp"])
    decoded = codec.decode(codec.encode(photo, best["quality"]))
    assert best["psnr"] == pytest.approx(psnr(photo, np.clip(decoded, 0, 1)))


@pytest.mark.workflow
def test_a_study_in_blocks_trains_the_klt_and_shows_the_picture(tmp_path):
    """``images.layout: blocks8``: the block matrix goes through the whole
    pipeline; the exact regime reaches its SVD (the KLT) to 1e-10, the
    viewer shows the picture, the codecs code the picture, and each
    method's subspace is coded beside them."""
    import yaml
    from test_workflow import TINY_CONFIG, TINY_IMAGE, make_study, snakemake

    from lowrank.evaluation.summary import read_table

    config = yaml.safe_load(yaml.safe_dump(TINY_CONFIG))
    config["images"].update(layout="blocks8", mode="rgb", max_pixels=10**6)
    config.update(ranks=[1, 5], matrices={})
    workdir = make_study(tmp_path / "blocks", config)
    images = workdir / "resources" / "images"
    (images / TINY_IMAGE).unlink()
    with Image.open(PHOTO) as photo:
        photo.crop((100, 100, 260, 228)).save(images / "hopper.png")
    snakemake(workdir)

    table = read_table(workdir / "results" / "summary.csv")
    trained = table[table["method"].isin(["svd", "nn-exact"])]
    assert set(trained["layout"]) == {"blocks8"}
    assert set(zip(trained["rows"], trained["cols"])) == {(16 * 20, 64)}
    exact = trained[trained["method"] == "nn-exact"]
    assert exact["delta_rel_err_2"].abs().max() <= 1e-10
    with Image.open(workdir / "results/figures/hopper/views/svd-rank5.png") as view:
        assert view.size == (160, 128)
    sweep = pd.read_csv(workdir / "results" / "rate_distortion" / "hopper.csv")
    assert {"klt", "jpeg", "svd-q8"} <= set(sweep["method"])
    jpeg = sweep[sweep["method"] == "jpeg"]
    assert (jpeg["bpp"] == jpeg["bits"] / (160 * 128)).all()
    # Each method's rank-5 subspace coded by the block codec: the exact
    # regime's is the SVD's (Baldi & Hornik), to within the basis grid.
    coded = {m: t.set_index("quality") for m, t in sweep.groupby("method")}
    exact, svd = coded["nn-exact-coded"], coded["svd-coded"]
    assert "nn-paper-coded" in coded and "svd, rank 5" in svd["encoder"].iloc[0]
    assert (exact["psnr"] - svd["psnr"]).abs().max() < 0.05
    assert ((exact["bits"] / svd["bits"]) - 1).abs().max() < 0.02
    bd = pd.read_csv(workdir / "results" / "rate_distortion" / "bd_rates_per_image.csv")
    pair = bd[(bd["test"] == "nn-exact-coded") & (bd["anchor"] == "svd-coded")]
    assert not pair.empty and pair["bd_rate_percent"].abs().max() < 2
