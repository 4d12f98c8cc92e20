import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from cart.admin.payments.uploads import (UploadError, ca_bundle, client_certificate,
                                         square_logo)
from tests.integration.certs import CertificateAuthority


def _image(width, height, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (230, 0, 126)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("size, fmt", [((600, 300), "PNG"), ((200, 500), "JPEG"),
                                       ((184, 184), "GIF")])
def test_logo_becomes_a_184_square_png(size, fmt):
    png = square_logo(_image(*size, fmt=fmt))
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (184, 184)


@pytest.mark.parametrize("data", [b"not an image", b"%PDF-1.4 ...", b"\x89PNG\r\n\x1a\n broken"])
def test_non_images_are_refused_in_japanese(data):
    with pytest.raises(UploadError, match="画像"):
        square_logo(data)


@pytest.fixture(scope="module")
def ca():
    return CertificateAuthority("PAYGENT test CA")


def test_certificate_with_its_key_is_accepted(ca):
    cert, key = ca.issue("shop")
    assert client_certificate((cert + key).encode()) == cert + key


def test_certificate_without_key_is_refused(ca):
    cert, _ = ca.issue("shop")
    with pytest.raises(UploadError, match="秘密鍵が含まれていません"):
        client_certificate(cert.encode())


def test_key_of_another_certificate_is_refused(ca):
    cert, _ = ca.issue("shop")
    _, other_key = ca.issue("other")
    with pytest.raises(UploadError, match="対応していません"):
        client_certificate((cert + other_key).encode())


def test_expired_certificate_is_refused(ca):
    cert, key = ca.issue("shop")
    later = datetime.now(timezone.utc) + timedelta(days=400)
    with pytest.raises(UploadError, match="有効期限が切れています"):
        client_certificate((cert + key).encode(), now=later)


@pytest.mark.parametrize("data", [b"hello", "証明書".encode(), b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_not_a_certificate_is_refused(data):
    with pytest.raises(UploadError):
        client_certificate(data)
    with pytest.raises(UploadError):
        ca_bundle(data)


def test_ca_bundle_accepts_several_certificates(ca):
    other = CertificateAuthority("second")
    assert ca_bundle((ca.pem + other.pem).encode()) == ca.pem + other.pem
