"""Checks on uploaded files: the Paidy modal logo and PAYGENT's certificates (P2, P3)."""
import io
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image, UnidentifiedImageError

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_SIZE = 184  # the recommended square, in pixels
PEM_MAX_BYTES = 64 * 1024


class UploadError(ValueError):
    """The message says, in Japanese, what is wrong with the file."""


def read_upload(storage, limit: int) -> bytes | None:
    """The uploaded bytes, or None when no file was chosen."""
    if storage is None or not getattr(storage, "filename", ""):
        return None
    data = storage.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"ファイルが大きすぎます（{limit // 1024:,}KBまで）。")
    if not data:
        raise UploadError("ファイルが空です。")
    return data


def square_logo(data: bytes) -> bytes:
    """Centre-crop an image to a square and scale it to 184×184 PNG (the modal frame is round)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
                raise UploadError("PNG・JPEG・GIF形式の画像を選択してください。")
            if image.width * image.height > 40_000_000:
                raise UploadError("画像が大きすぎます。")
            image.load()
            side = min(image.size)
            left, top = (image.width - side) // 2, (image.height - side) // 2
            square = image.convert("RGBA").crop((left, top, left + side, top + side))
            square = square.resize((LOGO_SIZE, LOGO_SIZE), Image.LANCZOS)
            out = io.BytesIO()
            square.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UploadError("画像ファイルとして読み込めませんでした。PNG・JPEG・GIF形式の画像を選択してください。") from exc


def client_certificate(data: bytes, now: datetime | None = None) -> str:
    """A PEM holding the client certificate and its private key, checked; returns the text."""
    now = now or datetime.now(timezone.utc)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise UploadError("PEM形式のテキストファイルではありません。") from exc
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise UploadError("証明書が含まれていません（PEM形式のクライアント証明書を選択してください）。") from exc
    if certificate.not_valid_after_utc < now:
        raise UploadError(f"証明書の有効期限が切れています（{certificate.not_valid_after_utc:%Y-%m-%d}まで）。")
    if certificate.not_valid_before_utc > now:
        raise UploadError("証明書の有効期間がまだ始まっていません。")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UploadError("秘密鍵が含まれていません。証明書と秘密鍵を含むPEMファイルを選択してください。") from exc
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.PEM
    if key.public_key().public_bytes(encoding, public) != \
            certificate.public_key().public_bytes(encoding, public):
        raise UploadError("秘密鍵が証明書と対応していません。")
    return text


def ca_bundle(data: bytes) -> str:
    """A PEM with one or more CA certificates; returns the text."""
    try:
        text = data.decode("ascii")
        certificates = x509.load_pem_x509_certificates(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UploadError("CA証明書として読み込めませんでした（PEM形式のCAファイルを選択してください）。") from exc
    if not certificates:
        raise UploadError("CA証明書が含まれていません。")
    return text
