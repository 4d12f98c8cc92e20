"""Serve the sandbox on its own port, optionally over TLS that demands a client certificate."""
import ssl
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the store's telegram log is the record
        pass


def tls_context(cert_file: str, key_file: str, client_ca_file: str | None) -> ssl.SSLContext:
    """A server context; with ``client_ca_file`` a client certificate signed by it is required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca_file)
    return context


class SandboxServer:
    """A threaded HTTP(S) server for a WSGI app, running in a background thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None):
        self.app = app
        self.server = make_server(host, port, app, threaded=True, ssl_context=ssl_context,
                                  request_handler=_QuietHandler)
        self.host = host
        self.port = self.server.server_port
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name=f"sandbox-server-{self.port}")

    def start(self) -> "SandboxServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
