import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from lowrank.errors import InputFileError
from lowrank.inputs.image_files import is_image_path
from lowrank.inputs.images import load_image


def save(path, image, **kwargs):
    image.save(path, **kwargs)
    return path


def test_gray_png_is_scaled_to_unit_range(tmp_path):
    pixels = np.array([[0, 255, 51]], dtype=np.uint8)
    matrix = load_image(save(tmp_path / "a.png", Image.fromarray(pixels)))
    assert matrix.shape == (1, 1, 3)
    np.testing.assert_allclose(matrix[0], [[0.0, 1.0, 0.2]])


def test_rgb_mode_gives_one_matrix_per_channel(tmp_path):
    pixels = np.zeros((4, 5, 3), dtype=np.uint8)
    pixels[..., 1] = 255
    matrix = load_image(save(tmp_path / "a.png", Image.fromarray(pixels)), mode="rgb")
    assert matrix.shape == (3, 4, 5)
    np.testing.assert_allclose(matrix[1], 1.0)
    np.testing.assert_allclose(matrix[0], 0.0)


def test_ycbcr_mode_gives_the_rgb_values_as_luma_and_chroma(tmp_path):
    from lowrank.colour import luma, ycbcr_to_rgb

    pixels = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    path = save(tmp_path / "a.png", Image.fromarray(pixels))
    rgb = load_image(path, mode="rgb")
    ycc = load_image(path, mode="ycbcr")
    assert ycc.shape == (3, 6, 7)
    np.testing.assert_allclose(ycbcr_to_rgb(ycc), rgb, atol=1e-12)
    np.testing.assert_allclose(ycc[:1], luma(rgb), atol=1e-12)
    gray = np.full((2, 2), 128, dtype=np.uint8)
    grey = load_image(save(tmp_path / "g.png", Image.fromarray(gray)), mode="ycbcr")
    np.testing.assert_allclose(grey[1:], 0.5, atol=1e-12)  # no chroma


def test_sixteen_bit_gray_keeps_its_depth(tmp_path):
    pixels = np.array([[0, 65535, 257]], dtype=np.uint16)
    path = save(tmp_path / "a.png", Image.fromarray(pixels))
    np.testing.assert_allclose(load_image(path)[0], [[0.0, 1.0, 257 / 65535]])


def test_transparent_pixels_become_white(tmp_path):
    pixels = np.zeros((2, 2, 4), dtype=np.uint8)
    pixels[0, 0] = (0, 0, 0, 255)
    matrix = load_image(save(tmp_path / "a.png", Image.fromarray(pixels, "RGBA")))
    np.testing.assert_allclose(matrix[0], [[0.0, 1.0], [1.0, 1.0]])


def test_palette_and_gif_first_frame(tmp_path):
    frames = [Image.new("L", (3, 2), value) for value in (255, 0)]
    path = tmp_path / "a.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    np.testing.assert_allclose(load_image(path)[0], 1.0)


def test_cmyk_jpeg_loads(tmp_path):
    path = save(tmp_path / "a.jpg", Image.new("CMYK", (8, 6), (0, 0, 0, 0)))
    matrix = load_image(path, mode="rgb")
    assert matrix.shape == (3, 6, 8)
    assert matrix.min() > 0.9


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("L", (4, 2), 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: width and height swap
    path = save(tmp_path / "a.jpg", image, exif=exif)
    assert load_image(path).shape == (1, 4, 2)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"hello", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 40, "corrupt or truncated"),
    ],
)
def test_bad_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad name.png"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="bad name.png") as error:
        load_image(path)
    assert message in str(error.value)


def test_truncated_png_is_reported(tmp_path):
    path = save(
        tmp_path / "t.png",
        Image.fromarray(np.arange(10000, dtype=np.uint8).reshape(100, 100)),
    )
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputFileError, match="t.png.*(corrupt|truncated)"):
        load_image(path)


def test_pixel_limit_names_the_config_key(tmp_path):
    path = save(tmp_path / "big.png", Image.new("L", (20, 10)))
    with pytest.raises(InputFileError, match="images.max_pixels"):
        load_image(path, max_pixels=100)


def test_only_visible_image_files_count():
    assert is_image_path("a.PNG") and is_image_path("x y.é.jpeg")
    assert not is_image_path(".DS_Store") and not is_image_path("notes.txt")


def decompression_bomb():
    """45 bytes of PNG whose header claims 20000x10000 pixels."""
    chunk = b"IHDR" + struct.pack(">IIBBBBB", 20000, 10000, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk
        + struct.pack(">I", zlib.crc32(chunk)) + b"\0\0\0\0IEND\xaeB`\x82"
    )  # fmt: skip


def test_a_decompression_bomb_is_refused_by_name(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(decompression_bomb())
    assert path.stat().st_size == 45
    with pytest.raises(InputFileError, match=r"bomb.png: refused as a .*200000000"):
        load_image(path)


@pytest.mark.parametrize("mode", ["rgb", "ycbcr"])
def test_a_gray_picture_is_one_channel_in_every_mode(tmp_path, mode):
    from lowrank.inputs.sources import picture

    gray = np.random.default_rng(0).integers(0, 256, (6, 7), dtype=np.uint8)
    for name, image in (
        ("l.png", Image.fromarray(gray)),
        ("rgb.png", Image.fromarray(np.stack([gray] * 3, axis=-1))),
    ):
        stack, read_as = picture(save(tmp_path / name, image), mode, None)
        assert (stack.shape, read_as) == ((1, 6, 7), "gray"), name
        np.testing.assert_allclose(stack[0], gray / 255.0)
    colour = np.stack([gray, gray, 255 - gray], axis=-1)
    stack, read_as = picture(
        save(tmp_path / "c.png", Image.fromarray(colour)), mode, None
    )
    assert (stack.shape, read_as) == ((3, 6, 7), mode)


def png_of_16_bit_rgb(path, samples):
    """A PNG of 16-bit RGB ``samples`` (m, n, 3), written by hand: Pillow
    cannot write one."""
    rows, cols, _ = samples.shape
    big_endian = samples.astype(">u2")
    raw = b"".join(b"\0" + big_endian[row].tobytes() for row in range(rows))

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", cols, rows, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )  # fmt: skip
    return path


def test_a_16_bit_colour_image_is_refused_not_rounded(tmp_path):
    samples = np.arange(60).reshape(4, 5, 3) * 1000 + 7
    path = png_of_16_bit_rgb(tmp_path / "deep.png", samples)
    with pytest.raises(InputFileError, match="deep.png: a 16-bit image with colour"):
        load_image(path, mode="rgb")


def test_a_float_image_is_read_at_its_precision(tmp_path):
    values = np.array([[0.0, 0.25, 1 / 3], [0.5, 0.999, 1.0]], dtype=np.float32)
    path = save(tmp_path / "f.tif", Image.fromarray(values))
    for mode, channels in (("gray", 1), ("rgb", 3)):
        loaded = load_image(path, mode=mode)
        assert loaded.shape == (channels, 2, 3)
        np.testing.assert_array_equal(loaded[0], values.astype(np.float64))
    outside = save(tmp_path / "g.tif", Image.fromarray(values * 255))
    with pytest.raises(InputFileError, match=r"g.tif: .* in \[0, 1\] \(found 0 to 255"):
        load_image(outside)
