"""商品画像 processing: the files accepted, the sizes made, and what is refused and why."""
import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from cart.images import processing
from cart.images.processing import ImageRefused, prepare, read_limited


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header says width × height pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_is_re_encoded_in_both_sizes(fmt):
    source = Image.new("RGB", (1200, 900), (180, 60, 30))
    prepared = prepare(encoded(source, fmt))
    assert prepared.content_type == "image/jpeg"  # opaque: JPEG whatever came in
    large, thumb = opened(prepared["large"].data), opened(prepared["thumb"].data)
    assert large.format == thumb.format == "JPEG"
    assert large.size == (prepared["large"].width, prepared["large"].height) == (800, 600)
    assert thumb.size == (prepared["thumb"].width, prepared["thumb"].height) == (300, 225)
    r, g, b = large.convert("RGB").getpixel((400, 300))
    assert abs(r - 180) < 12 and abs(g - 60) < 12 and abs(b - 30) < 12


def test_the_longest_side_is_fitted_and_nothing_is_enlarged():
    tall = prepare(encoded(Image.new("RGB", (500, 2000)), "PNG"))
    assert (tall["large"].width, tall["large"].height) == (200, 800)
    assert (tall["thumb"].width, tall["thumb"].height) == (75, 300)
    small = prepare(encoded(Image.new("RGB", (120, 80)), "PNG"))
    assert (small["large"].width, small["large"].height) == (120, 80)
    assert (small["thumb"].width, small["thumb"].height) == (120, 80)


def test_transparency_is_kept_and_an_unused_alpha_channel_is_not():
    see_through = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    see_through.paste((20, 200, 20, 255), (100, 100, 300, 300))
    prepared = prepare(encoded(see_through, "PNG"))
    assert prepared.content_type == "image/webp"
    large = opened(prepared["large"].data)
    assert large.format == "WEBP" and large.mode == "RGBA"
    assert large.getpixel((0, 0))[3] == 0 and large.getpixel((200, 200))[3] == 255
    opaque = prepare(encoded(Image.new("RGBA", (50, 50), (1, 2, 3, 255)), "PNG"))
    assert opaque.content_type == "image/jpeg"


def test_the_digest_names_the_bytes():
    one = prepare(encoded(Image.new("RGB", (60, 60), (10, 10, 10)), "PNG"))
    again = prepare(encoded(Image.new("RGB", (60, 60), (10, 10, 10)), "PNG"))
    other = prepare(encoded(Image.new("RGB", (60, 60), (250, 10, 10)), "PNG"))
    assert one.digest == again.digest != other.digest
    assert len(one.digest) == 64


def test_exif_orientation_is_applied():
    # 200 wide, 100 high, left half red; orientation 6 says "turn 90° clockwise to view"
    image = Image.new("RGB", (200, 100), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    prepared = prepare(encoded(image, "JPEG", exif=exif.tobytes()))
    large = opened(prepared["large"].data)
    assert large.size == (100, 200)  # upright: now tall
    top, bottom = large.getpixel((50, 20)), large.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60  # the red half is on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert 0x0112 not in large.getexif()


def test_metadata_is_stripped():
    image = Image.new("RGB", (300, 200), (90, 90, 90))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"      # Make
    exif[0x8825] = {2: (35, 40, 0)}  # GPS latitude
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = encoded(image, "JPEG", exif=exif.tobytes(), icc_profile=srgb, comment=b"secret note")
    png = encoded(image, "PNG", pnginfo=_png_text("Author", "secret author"))
    for data in (jpeg, png):
        prepared = prepare(data)
        for size in ("large", "thumb"):
            out = prepared[size].data
            assert b"secret" not in out.lower() and b"SecretCam" not in out
            result = opened(out)
            assert not result.getexif()
            assert "icc_profile" not in result.info and "comment" not in result.info
            assert "exif" not in result.info


def _png_text(key, value):
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text(key, value)
    return info


def test_an_animated_gif_keeps_its_first_frame_as_a_still_image():
    frames = [Image.new("P", (80, 80), colour) for colour in (1, 2, 3)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = prepare(data)
    assert opened(prepared["large"].data).format == "JPEG"


@pytest.mark.parametrize("data", [
    b"", b"not an image at all", "画像ではありません".encode(),
    encoded(Image.new("RGB", (20, 20)), "BMP"),
    encoded(Image.new("RGB", (20, 20)), "TIFF"),
    encoded(Image.new("RGB", (300, 300), (1, 2, 3)), "JPEG")[:300],  # cut off
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    b"GIF89a" + b"\x00" * 20,
])
def test_what_is_not_a_readable_image_is_refused_with_a_message(data):
    with pytest.raises(ImageRefused) as refused:
        prepare(data, "file.jpg")
    assert refused.value.message.startswith("「file.jpg」は")
    assert refused.value.message in (
        "「file.jpg」は" + processing.NOT_AN_IMAGE, "「file.jpg」は" + processing.EMPTY_FILE)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 60,000 × 60,000 claimed: far past Pillow's own limit
    with pytest.raises(ImageRefused) as refused:
        prepare(png_claiming(60_000, 60_000), "bomb.png")
    assert refused.value.message == "「bomb.png」は" + processing.TOO_LARGE_IMAGE
    # 8,001 × 8,001 (64 million pixels): within Pillow's limit, refused by ours
    with pytest.raises(ImageRefused) as refused:
        prepare(png_claiming(8_001, 8_001))
    assert refused.value.message == processing.TOO_LARGE_IMAGE
    with pytest.raises(ImageRefused):
        prepare(png_claiming(8_001, 1))  # one side is enough


def test_the_pixel_limit_is_each_side_8000():
    assert processing.MAX_SIDE == 8000 and processing.MAX_PIXELS == 64_000_000
    # a header at the limit passes the size check (its data then fails to decode)
    with pytest.raises(ImageRefused) as refused:
        prepare(png_claiming(8_000, 2))
    assert refused.value.message == processing.NOT_AN_IMAGE


def test_a_file_over_10mb_is_refused_without_reading_it_all():
    big = io.BytesIO(b"\xff\xd8" + b"\x00" * (processing.MAX_BYTES + 5000))
    with pytest.raises(ImageRefused) as refused:
        read_limited(big, "photo.jpg")
    assert refused.value.message == "「photo.jpg」はファイルサイズが大きすぎます（1枚10MBまで）。"
    assert big.tell() == processing.MAX_BYTES + 1
    with pytest.raises(ImageRefused):
        prepare(b"\x00" * (processing.MAX_BYTES + 1))
    assert read_limited(io.BytesIO(b"abc")) == b"abc"
