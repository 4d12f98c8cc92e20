"""The client's mutual-TLS path against the sandbox served over TLS that demands a client cert."""
import pytest

from payments.paygent import Credentials, Endpoint, Outcome, PaygentClient
from payments.sandbox import create_sandbox
from payments.sandbox.server import SandboxServer, tls_context

from .certs import CertificateAuthority
from .paygent_helpers import CONNECT_ID, HASH_KEY, MERCHANT, PASSWORD, PUBLIC_KEY


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    server_ca = CertificateAuthority("PAYGENT test server CA")
    client_ca = CertificateAuthority("PAYGENT test client CA")
    folder = tmp_path_factory.mktemp("pki")
    cert, key = server_ca.issue("127.0.0.1", server=True)
    (folder / "server.pem").write_text(cert)
    (folder / "server.key").write_text(key)
    (folder / "client-ca.pem").write_text(client_ca.pem)
    client_cert, client_key = client_ca.issue("shop 900000123")
    rogue_cert, rogue_key = CertificateAuthority("someone else").issue("rogue")
    return {"folder": folder, "server_ca": server_ca.pem,
            "client_pem": client_cert + client_key, "rogue_pem": rogue_cert + rogue_key}


@pytest.fixture(scope="module")
def tls_sandbox(pki):
    app = create_sandbox(dispatch=False)
    app.extensions["sandbox"].store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, HASH_KEY,
                                                   "", PUBLIC_KEY)
    folder = pki["folder"]
    context = tls_context(str(folder / "server.pem"), str(folder / "server.key"),
                          str(folder / "client-ca.pem"))
    with SandboxServer(app, ssl_context=context) as server:
        yield server


def _client(server, client_pem=None, ca_pem=None):
    return PaygentClient(Credentials(MERCHANT, CONNECT_ID, PASSWORD),
                         Endpoint(server.url + "/paygent", client_cert_pem=client_pem,
                                  ca_pem=ca_pem, connect_timeout=5, read_timeout=5))


def test_client_with_certificate_and_ca_talks_to_paygent(tls_sandbox, pki):
    assert tls_sandbox.url.startswith("https://")
    result = _client(tls_sandbox, pki["client_pem"], pki["server_ca"]).fetch_notice()
    assert result.ok and result.get("success_code") == "1"


def test_client_without_certificate_is_refused(tls_sandbox, pki):
    result = _client(tls_sandbox, None, pki["server_ca"]).fetch_notice()
    assert result.outcome is Outcome.ERROR
    assert result.code == "E02004"


def test_client_certificate_from_another_ca_is_refused(tls_sandbox, pki):
    result = _client(tls_sandbox, pki["rogue_pem"], pki["server_ca"]).fetch_notice()
    assert result.outcome is Outcome.ERROR and result.code == "E02004"


def test_server_not_signed_by_the_ca_file_is_refused(tls_sandbox, pki):
    other_ca = CertificateAuthority("not PAYGENT").pem
    result = _client(tls_sandbox, pki["client_pem"], other_ca).fetch_notice()
    assert result.outcome is Outcome.ERROR and result.code == "E02004"


def test_temporary_pem_files_do_not_outlive_the_request(tls_sandbox, pki, tmp_path,
                                                        monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert _client(tls_sandbox, pki["client_pem"], pki["server_ca"]).fetch_notice().ok
    assert list(tmp_path.iterdir()) == []
