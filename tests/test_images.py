"""The private decoder: every format and mode users have, and bad files."""

import io
import os
import tempfile
import warnings

import numpy as np
import pytest
from _pictures import png_declaring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from animecls._images import (
    PAD_COLOR,
    UnreadableImageError,
    probe_image,
    read_image,
)

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def solid(mode, size, color):
    return Image.new(mode, size, color)


def bands(width, height, colors):
    """Vertical bands of equal width, left to right."""
    array = np.zeros((height, width, 3), np.uint8)
    edges = np.linspace(0, width, len(colors) + 1).astype(int)
    for color, left, right in zip(colors, edges[:-1], edges[1:], strict=True):
        array[:, left:right] = color
    return Image.fromarray(array)


def read(path_or_bytes, size=(8, 12), **kwargs):
    if isinstance(path_or_bytes, bytes):
        path_or_bytes = io.BytesIO(path_or_bytes)
    return read_image(path_or_bytes, image_size=size, **kwargs)


# ------------------------------------------------------------ formats, modes


@pytest.mark.parametrize(
    "fmt, options, tolerance",
    [
        ("JPEG", {"quality": 95}, 6),
        ("PNG", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("GIF", {}, 0),
        ("BMP", {}, 0),
        ("TIFF", {}, 0),
    ],
)
def test_every_format_decodes_to_rgb_uint8(tmp_path, fmt, options, tolerance):
    path = tmp_path / f"picture.{fmt.lower()}"
    solid("RGB", (12, 8), (200, 40, 90)).save(path, fmt, **options)
    picture = read(path)
    assert picture.shape == (8, 12, 3) and picture.dtype == np.uint8
    np.testing.assert_allclose(
        picture, np.full((8, 12, 3), (200, 40, 90)), atol=tolerance
    )


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.arange(96, dtype=np.uint8).reshape(8, 12)).save(path)
    picture = read(path)
    assert (picture[..., 0] == picture[..., 1]).all()
    assert (picture[..., 1] == picture[..., 2]).all()
    np.testing.assert_array_equal(picture[..., 0], np.arange(96).reshape(8, 12))


def test_one_bit_picture(tmp_path):
    path = tmp_path / "bits.png"
    image = Image.new("1", (12, 8), 0)
    image.paste(1, (0, 0, 6, 8))
    image.save(path)
    picture = read(path)
    assert (picture[:, :6] == 255).all() and (picture[:, 6:] == 0).all()


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparency_is_composited_on_white(tmp_path, mode):
    path = tmp_path / f"{mode}.png"
    color = (0, 0, 0, 255) if mode == "RGBA" else (0, 255)
    clear = (0, 0, 0, 0) if mode == "RGBA" else (0, 0)
    image = Image.new(mode, (12, 8), clear)
    image.paste(color, (0, 0, 6, 8))
    image.save(path)
    picture = read(path)
    assert (picture[:, :6] == 0).all()
    assert (picture[:, 6:] == 255).all()


def test_half_transparent_pixels_blend_with_white(tmp_path):
    path = tmp_path / "half.png"
    solid("RGBA", (12, 8), (0, 0, 0, 128)).save(path)
    np.testing.assert_allclose(read(path), 127, atol=1)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_is_composited_on_white(tmp_path, fmt):
    path = tmp_path / f"palette.{fmt.lower()}"
    image = Image.new("P", (12, 8), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(0, (6, 0, 12, 8))
    image.save(path, fmt, transparency=0)
    picture = read(path)
    assert (picture[:, :6] == RED).all()
    assert (picture[:, 6:] == WHITE).all()


def test_palette_without_transparency(tmp_path):
    path = tmp_path / "palette.png"
    image = Image.new("P", (12, 8), 0)
    image.putpalette([0, 0, 255] + [0] * 765)
    image.save(path)
    assert (read(path) == BLUE).all()


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk_is_converted(tmp_path, fmt):
    path = tmp_path / f"cmyk.{fmt.lower()}"
    solid("CMYK", (12, 8), (0, 255, 255, 0)).save(path, fmt)
    np.testing.assert_allclose(read(path), np.full((8, 12, 3), RED), atol=6)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    values = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16)
    Image.fromarray(np.repeat(values, 2, axis=0)).save(path)
    with Image.open(path) as check:
        assert check.mode.startswith("I")
    picture = read(path, size=(2, 4))
    np.testing.assert_array_equal(picture[0, :, 0], [0, 64, 128, 255])


def test_first_frame_of_an_animated_gif(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [solid("RGB", (12, 8), RED), solid("RGB", (12, 8), BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    assert (read(path) == RED).all()


def test_exif_orientation_turns_the_picture_upright(tmp_path):
    # Stored 40 wide x 20 high, red left and blue right. Orientation 6 means
    # "rotate 90 degrees clockwise to show": red ends up on top.
    stored = bands(40, 20, [RED, BLUE])
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated, plain = tmp_path / "rotated.jpg", tmp_path / "plain.jpg"
    stored.save(rotated, "JPEG", quality=95, exif=exif)
    stored.save(plain, "JPEG", quality=95)

    assert probe_image(rotated) == (20, 40)
    assert probe_image(plain) == (40, 20)
    upright = read(rotated, size=(40, 20)).astype(int)
    as_stored = read(plain, size=(40, 20)).astype(int)
    assert np.abs(upright[:15] - RED).max() < 40
    assert np.abs(upright[25:] - BLUE).max() < 40
    # Without the tag the same pixels are read as they are stored.
    assert np.abs(as_stored[:, :8] - RED).max() < 40
    assert np.abs(as_stored[:, 12:] - BLUE).max() < 40


# -------------------------------------------------------------------- resize


@pytest.fixture
def wide(tmp_path):
    """200 x 100 with red, green, green, blue quarters: the centre is green."""
    path = tmp_path / "wide.png"
    bands(200, 100, [RED, GREEN, GREEN, BLUE]).save(path)
    return path


def test_stretch_keeps_everything_and_distorts(wide):
    picture = read(wide, size=(50, 50), resize="stretch")
    assert (picture[:, :10] == RED).all()
    assert (picture[:, 15:35] == GREEN).all()
    assert (picture[:, 40:] == BLUE).all()


def test_crop_keeps_the_centre(wide):
    picture = read(wide, size=(50, 50), resize="crop")
    assert (picture == GREEN).all()


def test_pad_keeps_everything_undistorted(wide):
    picture = read(wide, size=(50, 50), resize="pad")
    # 200 x 100 fits as 50 x 25, centred: grey bars above and below.
    assert (picture[:12] == PAD_COLOR).all() and (picture[38:] == PAD_COLOR).all()
    middle = picture[13:37]
    assert (middle[:, :10] == RED).all() and (middle[:, 40:] == BLUE).all()


def test_crop_of_a_tall_picture_to_a_wide_target(tmp_path):
    path = tmp_path / "tall.png"
    image = np.zeros((200, 100, 3), np.uint8)
    image[:50], image[50:150], image[150:] = RED, GREEN, BLUE
    Image.fromarray(image).save(path)
    assert (read(path, size=(20, 40), resize="crop") == GREEN).all()


@pytest.mark.parametrize("resize", ["stretch", "crop", "pad"])
def test_same_size_is_returned_unchanged(tmp_path, resize):
    path = tmp_path / "same.png"
    array = np.random.default_rng(0).integers(0, 256, (8, 12, 3), dtype=np.uint8)
    Image.fromarray(array).save(path)
    np.testing.assert_array_equal(read(path, resize=resize), array)


def test_large_jpeg_is_shrunk_like_a_full_decode(tmp_path):
    # JPEG pictures are decoded at a reduced scale when much larger than the
    # target; the result must stay close to resizing the full decode.
    path = tmp_path / "big.jpg"
    y, x = np.mgrid[0:800, 0:1200]
    array = np.stack([x % 256, y % 256, (x + y) // 8 % 256], axis=2).astype(np.uint8)
    Image.fromarray(array).save(path, quality=95)
    fast = read(path, size=(40, 60)).astype(int)
    with Image.open(path) as full:
        slow = np.asarray(full.convert("RGB").resize((60, 40), Image.Resampling.BOX))
    assert np.abs(fast - slow).mean() < 6


def test_out_receives_the_picture(tmp_path):
    path = tmp_path / "p.png"
    solid("RGB", (12, 8), GREEN).save(path)
    out = np.zeros((2, 8, 12, 3), np.uint8)
    result = read(path, out=out[1])
    assert result is out[1] or np.shares_memory(result, out)
    assert (out[1] == GREEN).all() and (out[0] == 0).all()


# ----------------------------------------------------------------- bad files


def test_text_file_is_not_a_picture(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a picture")
    with pytest.raises(UnreadableImageError, match="not a picture"):
        read(path)
    with pytest.raises(UnreadableImageError, match="not a picture"):
        probe_image(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(UnreadableImageError, match=r"empty file \(0 bytes\)"):
        read(path)


def test_truncated_png_has_a_good_header_but_fails_to_decode(tmp_path):
    path = tmp_path / "cut.png"
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    assert probe_image(path) == (64, 64)
    with pytest.raises(UnreadableImageError, match="corrupt or truncated"):
        read(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    with pytest.raises(UnreadableImageError, match="not a regular file"):
        read(path)


def test_max_pixels_refuses_before_decoding(tmp_path):
    path = tmp_path / "p.png"
    solid("RGB", (40, 30), RED).save(path)
    message = r"too large \(40 x 30 pixels; possible decompression bomb\)"
    with pytest.raises(UnreadableImageError, match=message):
        read(path, max_pixels=1000)
    with pytest.raises(UnreadableImageError, match=message):
        probe_image(path, max_pixels=1000)


def test_bomb_over_the_default_limit_does_not_leak_pillows_warning(tmp_path):
    # 100 million pixels: over our default limit, under Pillow's hard limit,
    # where Pillow alone would only warn.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(10_000, 10_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(UnreadableImageError, match="10000 x 10000 pixels"):
            read(path)
        with pytest.raises(UnreadableImageError, match="decompression bomb"):
            probe_image(path)
    assert caught == []


def test_bomb_over_pillows_hard_limit(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(30_000, 30_000))
    assert path.stat().st_size < 200
    with pytest.raises(UnreadableImageError, match="too large.*decompression bomb"):
        read(path, max_pixels=10**12)


# ---------------------------------------------------------------------- fuzz


def _encoded(fmt):
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(buffer, fmt)
    return buffer.getvalue()


SEEDS = {"PNG": _encoded("PNG"), "JPEG": _encoded("JPEG"), "GIF": _encoded("GIF")}


def _check_decoder(data):
    """Bytes give a picture of the requested shape or UnreadableImageError."""
    try:
        picture = read(data, size=(6, 5), max_pixels=1_000_000)
    except UnreadableImageError as error:
        assert str(error)
    else:
        assert picture.shape == (6, 5, 3) and picture.dtype == np.uint8
    # The header probe sees the same bytes as a file, as the folder scan does.
    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        file.write(data)
        file.flush()
        try:
            width, height = probe_image(file.name, max_pixels=1_000_000)
        except UnreadableImageError as error:
            assert str(error)
        else:
            assert width >= 1 and height >= 1 and width * height <= 1_000_000


# derandomize: the same examples on every run, so the suite is deterministic.
@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_random_bytes_decode_or_are_refused(data):
    _check_decoder(data)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_pictures_decode_or_are_refused(fmt, edits, cut):
    data = bytearray(SEEDS[fmt])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _check_decoder(bytes(data))
