"""Uploaded images checked and re-encoded with Pillow: pure functions over bytes.

Only JPEG, PNG, WebP and GIF are opened (Pillow tries no other decoder). The size in pixels is
read from the header and checked before anything is decoded, so a small file that would
decode into gigabytes (a decompression bomb) is refused without being decoded; Pillow's own
bomb check is an error here too. What is stored is new pixels only: EXIF orientation applied,
converted to sRGB, then re-encoded without EXIF, ICC profile, comments or any other metadata.
"""
import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, features

MAX_BYTES = 10 * 1024 * 1024  # per file
MAX_SIDE = 8000  # pixels, each side
MAX_PIXELS = MAX_SIDE * MAX_SIDE
MAX_PER_PRODUCT = 10
#: the sizes served, by name: the longest side at most this many pixels (never enlarged)
SIZES = {"large": 800, "thumb": 300}
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
JPEG_QUALITY = 85

NOT_AN_IMAGE = ("画像として読み込めませんでした。JPEG・PNG・WebP・GIF形式の画像ファイルを"
                "選択してください。")
TOO_LARGE_FILE = f"ファイルサイズが大きすぎます（1枚{MAX_BYTES // (1024 * 1024)}MBまで）。"
TOO_LARGE_IMAGE = f"画像が大きすぎます（縦・横それぞれ{MAX_SIDE:,}ピクセルまで）。"
EMPTY_FILE = "ファイルが空です。"


class ImageRefused(ValueError):
    """The message says, in Japanese, what is wrong with the file."""

    def __init__(self, message: str, name: str = ""):
        self.message = f"「{name}」は{message}" if name else message
        super().__init__(self.message)


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Prepared:
    """One upload, ready to store: the bytes of every size in ``SIZES``, one content type."""
    content_type: str
    renditions: dict  # {size name: Rendition}
    digest: str  # SHA-256 (hex) over the sizes' bytes

    def __getitem__(self, size: str) -> Rendition:
        return self.renditions[size]


def read_limited(stream, name: str = "") -> bytes:
    """At most ``MAX_BYTES`` of an upload; a larger or empty file is refused."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageRefused(TOO_LARGE_FILE, name)
    if not data:
        raise ImageRefused(EMPTY_FILE, name)
    return data


def prepare(data: bytes, name: str = "") -> Prepared:
    """Check an uploaded file and re-encode it in every size, or raise ``ImageRefused``."""
    if len(data) > MAX_BYTES:
        raise ImageRefused(TOO_LARGE_FILE, name)
    if not data:
        raise ImageRefused(EMPTY_FILE, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused(TOO_LARGE_IMAGE, name) from exc  # Pillow's check, at the header
        except Exception as exc:  # not one of the formats, or a header Pillow cannot read
            raise ImageRefused(NOT_AN_IMAGE, name) from exc
        with image:
            width, height = image.size
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) \
                    or width * height > MAX_PIXELS:
                raise ImageRefused(TOO_LARGE_IMAGE, name)
            try:
                return _renditions(image)
            except ImageRefused:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageRefused(TOO_LARGE_IMAGE, name) from exc
            except Exception as exc:  # truncated or corrupt data: Pillow raises many kinds
                raise ImageRefused(NOT_AN_IMAGE, name) from exc


def _renditions(image: Image.Image) -> Prepared:
    largest = max(SIZES.values())
    if image.format == "JPEG":
        image.draft(None, (largest, largest))  # decode a large JPEG at 1/2, 1/4 or 1/8 scale
    image.load()
    upright = ImageOps.exif_transpose(image)
    pixels = _to_srgb(upright)
    content_type = "image/jpeg"
    if pixels.mode == "RGBA":
        content_type = "image/webp" if features.check("webp") else "image/png"
    renditions, digest = {}, hashlib.sha256()
    # largest first, each smaller size from the one before it (cheaper, same result)
    source = pixels
    for size, side in sorted(SIZES.items(), key=lambda item: -item[1]):
        scaled = source.copy()
        scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
        data = _encode(scaled, content_type)
        renditions[size] = Rendition(data, scaled.width, scaled.height)
        digest.update(data)
        source = scaled
    return Prepared(content_type, renditions, digest.hexdigest())


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB (or RGBA when some pixel is transparent) in sRGB, with no metadata left."""
    profile = image.info.get("icc_profile")
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.point(lambda value: value / 256).convert("L")
    converted = image.convert("RGBA" if transparent else "RGB")
    if transparent and converted.getchannel("A").getextrema()[0] == 255:
        converted = converted.convert("RGB")  # an alpha channel that hides nothing
    if profile and converted.mode in ("RGB", "RGBA"):
        converted = _profile_to_srgb(converted, profile)
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)  # new pixels only: no info, EXIF, ICC or comments carried over
    return clean


def _profile_to_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    try:
        from PIL import ImageCms
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                         outputMode=image.mode)
    except Exception:  # an unreadable or unsupported profile: keep the pixels as they are
        return image


def _encode(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif content_type == "image/webp":
        image.save(out, format="WEBP", quality=JPEG_QUALITY, method=4)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()
